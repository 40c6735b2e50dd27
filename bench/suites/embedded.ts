import { Account } from '../../actors/index.js';
import { createApp, type AnyAggregateDefinition, type LmdbDurability } from '../../src/index.js';
import type { Suite } from '../main.js';
import { ceilingRows } from '../support/ceilingRows.js';
import { runRawLmdb, runWorkload, tempDir, type Measure } from '../support/embeddedRuns.js';
import { retainedHeap, startMemorySampler, type MemorySample } from '../support/memorySampler.js';
import { openProbedApp, type ProbedApp } from '../support/probedApp.js';
import { percentile, type Report } from '../support/report.js';
import { createStageBudget, measureCost, type Budget } from '../support/stageBudget.js';
import { runW4 } from '../support/w4.js';
import { createW1, type W1 } from '../support/w1.js';
import { encryptionRows } from './evolution.js';

const WINDOW = 2000;
const MiB = 1048576;

async function withApp<T>(
  probed: ReturnType<typeof createStageBudget> | undefined,
  use: (app: Pick<ProbedApp, 'send' | 'state'>) => Promise<T>,
  durability?: LmdbDurability,
  aggregate: AnyAggregateDefinition = Account,
): Promise<T> {
  const dir = tempDir('trib-bench-');
  const app = probed
    ? await openProbedApp(dir.path, [aggregate], { probe: probed.probe })
    : await createApp({ engine: 'embedded', dataDir: dir.path, aggregates: [aggregate], durability });
  try {
    return await use(app);
  } finally {
    await app.close();
    dir.dispose();
  }
}

// The framework on a workload, uninstrumented: rate, main-thread µs per command, peak memory.
async function framework(w1: W1, window: number) {
  let cost = { total: 0, cpu: 0, gc: 0, bytes: 0 };
  let peak: MemorySample | undefined;
  let retained = 0;
  const run = await withApp(undefined, (app) =>
    runWorkload(app, w1, window, async (work) => {
      const sampler = startMemorySampler();
      cost = await measureCost(w1.operations.length, work);
      peak = sampler.stop();
      retained = retainedHeap();
    }),
  );
  return { ...run, cost, peak: peak!, retained };
}

/**
 * W1 through `app.send` on the embedded engine, uninstrumented and verified against the model;
 * `aggregate` replaces Account (same machine, e.g. with personal fields).
 *
 * @example
 * ```ts
 * const run: FrameworkRun = await runFramework(w1, 2000);
 * ```
 */
export function runFramework(w1: W1, window: number, aggregate: AnyAggregateDefinition = Account) {
  return withApp(undefined, (app) => runWorkload(app, w1, window), undefined, aggregate);
}

/** What {@link runFramework} measured. @example `const run: FrameworkRun = await runFramework(w1, 2000);` */
export type FrameworkRun = Awaited<ReturnType<typeof runFramework>>;

// The same workload with every stage timed: the CPU budget.
async function budgeted(w1: W1, window: number): Promise<{ budget: Budget; ok: boolean }> {
  const probed = createStageBudget();
  let budget: Budget | undefined;
  const run = await withApp(probed, (app) => runWorkload(app, w1, window, async (work) => void (budget = await probed.measure(w1.operations.length, work))));
  return { budget: budget!, ok: run.ok };
}

async function raw(w1: W1, window: number) {
  let cost = { total: 0, cpu: 0, gc: 0, bytes: 0 };
  const measure: Measure = async (work) => void (cost = await measureCost(w1.operations.length, work));
  const run = await runRawLmdb(w1, window, measure);
  return { ...run, cost, rate: run.commits / run.seconds };
}

/**
 * `npm run bench -- embedded`: on the embedded engine, each beside raw LMDB puts of the same
 * commit bytes in the same run:
 * - W1 (10,000 accounts, 100,000 Deposit/Withdraw), 2,000 in flight, with its CPU budget per
 *   stage from a second, instrumented run, and its peak memory broken down;
 * - the design's ceiling on the same commands (`ceilingRows`): only the parts it cannot leave
 *   out, with XState and with reducer functions, on one thread and on two;
 * - W1 one in flight (10,000 operations), and with `durability: 'flushed'` one and 2,000 in
 *   flight (the baseline of those rows is the default durability, `'committed'`);
 * - W3, long streams: 100 accounts of about 1,000 events each;
 * - W4, a million aggregates touched once each through the registry bound, in a child process
 *   so that its peak RSS is its own;
 * - W1 with a personal field sealed (AES-256-GCM), against plain runs before and after it.
 *
 * @example
 * ```sh
 * npm run bench -- embedded --json
 * ```
 */
export const embeddedSuite: Suite = async (report: Report, { quick }) => {
  const suite = 'embedded';
  const w1Options = quick ? { accounts: 1000, operations: 10_000 } : {};
  const w1 = createW1(w1Options);
  const commands = w1.operations.length;

  const rawW1 = await raw(w1, WINDOW);
  const fw = await framework(w1, WINDOW);
  const probed = await budgeted(w1, WINDOW);
  const serialW1 = createW1({ accounts: quick ? 500 : 10_000, operations: quick ? 500 : 10_000, seed: 2 });
  const serial = await withApp(undefined, (app) => runWorkload(app, serialW1, 1));
  const serialFlushed = await withApp(undefined, (app) => runWorkload(app, serialW1, 1), 'flushed');
  const windowFlushed = await withApp(undefined, (app) => runWorkload(app, w1, WINDOW), 'flushed');

  report.add({ suite, metric: `W1 commands/s (${WINDOW} in flight)`, value: commands / fw.seconds, unit: 'cmd/s', ok: fw.ok });
  report.add({ suite, metric: 'W1 accepted commits/s vs raw LMDB put', value: fw.accepted / fw.seconds, unit: 'commits/s', baseline: rawW1.rate, ok: fw.ok && rawW1.ok });
  report.add({ suite, metric: 'W1 events/s', value: fw.events / fw.seconds, unit: 'events/s', ok: fw.ok });
  report.add({ suite, metric: 'W1 main-thread busy time per command (raw: per put)', value: fw.cost.total, unit: 'µs', baseline: rawW1.cost.total, ok: fw.ok });
  report.add({ suite, metric: 'W1 process CPU per command, all threads (raw: per put)', value: fw.cost.cpu, unit: 'µs', baseline: rawW1.cost.cpu, ok: fw.ok });
  report.add({ suite, metric: 'W1 GC per command (raw: per put)', value: fw.cost.gc, unit: 'µs', baseline: rawW1.cost.gc, ok: fw.ok });
  report.add({ suite, metric: 'W1 heap allocated per command (raw: per put)', value: fw.cost.bytes, unit: 'B', baseline: rawW1.cost.bytes, ok: fw.ok });
  report.add({ suite, metric: 'latency p50', value: percentile(Array.from(fw.latencies), 50), unit: 'ms', baseline: percentile(Array.from(rawW1.latencies), 50), ok: fw.ok });
  report.add({ suite, metric: 'latency p99', value: percentile(Array.from(fw.latencies), 99), unit: 'ms', baseline: percentile(Array.from(rawW1.latencies), 99), ok: fw.ok });
  report.add({ suite, metric: 'rejected InsufficientFunds', value: fw.outcome.rejectedBy.get('InsufficientFunds') ?? 0, unit: 'commands', ok: fw.ok });
  report.add({ suite, metric: 'W1 peak RSS', value: fw.peak.rss / MiB, unit: 'MiB', ok: fw.ok });
  report.add({ suite, metric: 'W1 at peak: JS heap used (of total)', value: fw.peak.heapUsed / MiB, unit: 'MiB', baseline: fw.peak.heapTotal / MiB, ok: fw.ok });
  report.add({ suite, metric: 'W1 at peak: external (buffers, native)', value: fw.peak.external / MiB, unit: 'MiB', ok: fw.ok });
  report.add({ suite, metric: 'W1 at peak: LMDB map resident', value: fw.peak.lmdbMap / MiB, unit: 'MiB', ok: fw.ok });
  report.add({ suite, metric: 'W1 JS heap retained after GC (bench data included)', value: fw.retained / MiB, unit: 'MiB', ok: fw.ok });
  report.addBudget({ suite, run: `W1, ${WINDOW} in flight (instrumented)`, budget: probed.budget });
  report.add({ suite, metric: `W1 commands/s (1 in flight, ${serialW1.operations.length} operations)`, value: serialW1.operations.length / serial.seconds, unit: 'cmd/s', ok: serial.ok });
  report.add({ suite, metric: 'latency p50 (1 in flight)', value: percentile(Array.from(serial.latencies), 50), unit: 'ms', ok: serial.ok });
  report.add({ suite, metric: 'latency p99 (1 in flight)', value: percentile(Array.from(serial.latencies), 99), unit: 'ms', ok: serial.ok });
  report.add({ suite, metric: "W1 commands/s, durability 'flushed' (1 in flight)", value: serialW1.operations.length / serialFlushed.seconds, unit: 'cmd/s', baseline: serialW1.operations.length / serial.seconds, ok: serialFlushed.ok });
  report.add({ suite, metric: "latency p50, durability 'flushed' (1 in flight)", value: percentile(Array.from(serialFlushed.latencies), 50), unit: 'ms', baseline: percentile(Array.from(serial.latencies), 50), ok: serialFlushed.ok });
  report.add({ suite, metric: `W1 commands/s, durability 'flushed' (${WINDOW} in flight)`, value: commands / windowFlushed.seconds, unit: 'cmd/s', baseline: commands / fw.seconds, ok: windowFlushed.ok });
  if (!probed.ok) report.add({ suite, metric: 'instrumented W1 run verified', value: 0, unit: 'runs', ok: false });
  // The design's ceiling: the same commands through only the parts it cannot leave out.
  await ceilingRows(report, w1, w1Options, WINDOW, commands / fw.seconds, fw.ok);

  // W3: long streams. Each account's commands stay serial in its mailbox; all accounts are in flight.
  const w3 = createW1({ accounts: 100, operations: quick ? 5_000 : 100_000, seed: 3 });
  const rawW3 = await raw(w3, WINDOW);
  const fw3 = await framework(w3, WINDOW);
  report.add({ suite, metric: `W3 commands/s (100 accounts x ~${w3.operations.length / 100} events)`, value: w3.operations.length / fw3.seconds, unit: 'cmd/s', ok: fw3.ok });
  report.add({ suite, metric: 'W3 accepted commits/s vs raw LMDB put', value: fw3.accepted / fw3.seconds, unit: 'commits/s', baseline: rawW3.rate, ok: fw3.ok && rawW3.ok });
  report.add({ suite, metric: 'W3 commands/s vs W1', value: w3.operations.length / fw3.seconds, unit: 'cmd/s', baseline: commands / fw.seconds, ok: fw3.ok && fw.ok });

  // W4: a million aggregates, once each, through maxActors.
  // --quick keeps the shape (ten times more accounts than live actors) at a fiftieth of the size.
  const w4 = await runW4({ accounts: quick ? 20_000 : 1_000_000, window: WINDOW, maxActors: quick ? 2_000 : 10_000 });
  report.add({ suite, metric: `W4 commands/s (${w4.accounts.toLocaleString('en-US')} accounts once each)`, value: w4.rate, unit: 'cmd/s', baseline: commands / fw.seconds, ok: w4.ok });
  report.add({ suite, metric: 'W4 accepted commits/s vs raw LMDB put', value: w4.rate, unit: 'commits/s', baseline: w4.rawRate, ok: w4.ok });
  report.add({ suite, metric: 'W4 peak RSS (its own process)', value: w4.peakRss / MiB, unit: 'MiB', ok: w4.ok });
  report.add({ suite, metric: 'W4 at peak: JS heap used', value: w4.peak.heapUsed / MiB, unit: 'MiB', ok: w4.ok });
  report.add({ suite, metric: 'W4 JS heap retained after GC at the end', value: w4.retainedHeap / MiB, unit: 'MiB', ok: w4.ok });
  report.add({ suite, metric: 'W4 at peak: LMDB map resident', value: w4.peak.lmdbMap / MiB, unit: 'MiB', ok: w4.ok });
  report.add({ suite, metric: 'W4 live actors at the end (maxActors)', value: w4.liveActors, unit: 'actors', baseline: w4.maxActors, ok: w4.ok });
  report.add({ suite, metric: 'W4 evictions', value: w4.evictions, unit: 'actors', ok: w4.ok });

  // Personal data: the write rate with a sealed field, against plain runs before and after it.
  await encryptionRows(report, w1, WINDOW, fw);
};
