import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { open } from 'lmdb';
import { Account } from '../../actors/index.js';
import { createApp, type CommandResult } from '../../src/index.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import type { Suite } from '../main.js';
import { benchLogger } from '../support/benchLogger.js';
import type { Report } from '../support/report.js';
import { createW1, type W1 } from '../support/w1.js';
import { w1Commits } from '../support/w1Commits.js';

const WINDOW = 2000;

type Setting = { name: 'off' | 'metrics' | 'metrics+tracing'; metrics: boolean; tracing: boolean };
const SETTINGS: readonly Setting[] = [
  { name: 'off', metrics: false, tracing: false },
  { name: 'metrics', metrics: true, tracing: false },
  { name: 'metrics+tracing', metrics: true, tracing: true },
];

// A real SDK pipeline (context manager, provider, batch processor) whose exporter drops the spans:
// what tracing costs the process, without the cost of a collector.
const dropped: SpanExporter = {
  export(spans: ReadableSpan[], done) {
    void spans;
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};

// The SDK is registered only around the traced runs: with it, every promise of the process pays
// the context manager's async hooks, and "off" must not pay for tracing.
async function traced<T>(on: boolean, run: () => Promise<T>): Promise<T> {
  if (!on) return run();
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropped)] });
  trace.setGlobalTracerProvider(provider);
  try {
    return await run();
  } finally {
    await provider.shutdown();
    trace.disable();
    context.disable();
  }
}

function runW1(w1: W1, setting: Setting): Promise<{ seconds: number; cpuSeconds: number; ok: boolean }> {
  return traced(setting.tracing, () => runW1Once(w1, setting));
}

async function runW1Once(w1: W1, setting: Setting): Promise<{ seconds: number; cpuSeconds: number; ok: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'trib-bench-obs-'));
  const app = await createApp({ engine: 'embedded', dataDir: dir, aggregates: [Account], logger: benchLogger, metrics: setting.metrics, tracing: setting.tracing });
  try {
    let accepted = 0;
    let rejected = 0;
    const count = (r: CommandResult) => (r.ok ? accepted++ : r.error.code === 'rejected' ? rejected++ : undefined);
    await runWindowed(w1.open, WINDOW, (c) => app.send(c), count);
    accepted = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await runWindowed(w1.operations, WINDOW, (c) => app.send(c), count);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const scraped = setting.metrics ? await app.metrics!.registry.getSingleMetric('tributary_commands_total')!.get() : undefined;
    const counted = scraped?.values.reduce((n, v) => n + v.value, 0);
    const ok =
      accepted === w1.expected.accepted &&
      rejected === w1.expected.rejected &&
      (counted === undefined || counted === w1.open.length + w1.operations.length);
    return { seconds, cpuSeconds, ok };
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rawLmdbRate(w1: W1): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'trib-bench-obs-raw-'));
  const root = open({ path: dir });
  const db = root.openDB<Uint8Array, number>({ name: 'commits', encoding: 'binary' });
  const records = w1Commits(w1).slice(w1.open.length);
  let position = 0;
  const t0 = performance.now();
  await runWindowed(records, WINDOW, (r) => db.put(++position, r.bytes));
  const seconds = (performance.now() - t0) / 1000;
  await root.close();
  rmSync(dir, { recursive: true, force: true });
  return records.length / seconds;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

type Rates = { rate: number; perCpu: number };

/**
 * `npm run bench -- observability`: the cost of metrics and of tracing on W1 (embedded engine,
 * 2,000 in flight), each setting run in turn, round after round, in the same process: both off,
 * metrics only, and metrics with tracing into a real OpenTelemetry SDK (registered for those runs
 * only) that drops the spans. After a warm-up round of each, two readings against "off" in the
 * same run: the best round of each setting, and the median over rounds of each round's own ratio
 * (its settings run back to back, in alternating order, so a load spike on a shared machine
 * shifts one round rather than one setting).
 *
 * @example
 * ```sh
 * npm run bench -- observability --json
 * ```
 */
export const observabilitySuite: Suite = async (report: Report, { quick }) => {
  const suite = 'observability';
  const w1 = createW1(quick ? { accounts: 1000, operations: 10_000 } : {});
  const rounds = quick ? 2 : 5;

  // Warm up (JIT, lmdb) so that the first setting measured is not the one that pays for it.
  for (const setting of SETTINGS) await runW1(createW1({ accounts: 500, operations: 5000 }), setting);
  // Throughput, and commands per CPU-second of this process: on a shared machine the second is
  // the steadier measure of what the instrumentation itself costs.
  const byRound: Array<Map<Setting['name'], Rates>> = [];
  let ok = true;
  for (let round = 0; round < rounds; round++) {
    const measured = new Map<Setting['name'], Rates>();
    for (const setting of round % 2 === 0 ? SETTINGS : [...SETTINGS].reverse()) {
      const run = await runW1(w1, setting);
      ok &&= run.ok;
      measured.set(setting.name, { rate: w1.operations.length / run.seconds, perCpu: w1.operations.length / run.cpuSeconds });
    }
    byRound.push(measured);
  }
  const raw = await rawLmdbRate(w1);

  const best = (name: Setting['name'], of: keyof Rates) => Math.max(...byRound.map((r) => r.get(name)![of]));
  const middle = (name: Setting['name'], of: keyof Rates) => median(byRound.map((r) => r.get(name)![of]));
  const pairedRatio = (name: Setting['name'], of: keyof Rates) => Math.round(1000 * median(byRound.map((r) => r.get(name)![of] / r.get('off')![of]))) / 1000;
  const off = best('off', 'rate');
  report.add({ suite, metric: 'W1 commands/s, metrics and tracing off, vs raw LMDB put', value: off, unit: 'cmd/s', baseline: raw, ok });
  const readings = [
    ['metrics', 'metrics on'],
    ['metrics+tracing', 'metrics and tracing on'],
  ] as const;
  for (const [of, unit, what] of [
    ['rate', 'cmd/s', 'W1 commands/s'],
    ['perCpu', 'cmd/cpu-s', 'W1 commands per CPU-second'],
  ] as const) {
    for (const [name, label] of readings) {
      report.add({ suite, metric: `${what}, ${label}, vs off, best rounds`, value: best(name, of), unit, baseline: best('off', of), ok });
      report.add({
        suite,
        metric: `${what}, ${label}, vs off, median of round ratios`,
        value: middle(name, of),
        unit,
        baseline: middle('off', of),
        ratio: pairedRatio(name, of),
        ok,
      });
    }
  }
};
