import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Account } from '../../actors/index.js';
import { createApp, createCommandClient, type Command, type CommandResult, type NatsApp } from '../../src/internal.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import { startNatsServer } from '../../test/support/natsServer.js';
import type { Suite } from '../main.js';
import { benchLogger as logger } from '../support/benchLogger.js';
import { reducerCore, xstateCore } from '../support/ceilingCore.js';
import { coldLoads, SNAPSHOT_EVERY } from '../support/natsColdLoads.js';
import { runJetStreamCeiling } from '../support/jetStreamCeiling.js';
import { addLogStream, createRawPublisher, publishChained, type SubjectHeads } from '../support/jetStreamRaw.js';
import { runWorkload } from '../support/embeddedRuns.js';
import { runServiceCeiling } from '../support/serviceCeiling.js';
import { runClientProcess } from '../support/spawnClient.js';
import { openProbedNatsApp } from '../support/probedApp.js';
import { percentile, type Report } from '../support/report.js';
import { createStageBudget, measureCost, type Budget } from '../support/stageBudget.js';
import { createW1, type W1 } from '../support/w1.js';
import { w1Commits, type W1Commit } from '../support/w1Commits.js';

// Commands (or raw publishes) in flight, the same for the framework and the baseline.
const WINDOW = 1000;
type Outcome = { accepted: number; rejected: number; otherErrors: string[] };

function tally(outcome: Outcome, r: CommandResult): void {
  if (r.ok) outcome.accepted++;
  else if (r.error.code === 'rejected' && r.error.details?.reason === 'InsufficientFunds') outcome.rejected++;
  else outcome.otherErrors.push(`${r.error.code}: ${r.error.message}`);
}

const connectClient = (url: string, name: string): Promise<NatsConnection> =>
  connect({ servers: url, name, noAsyncTraces: true });

/**
 * Raw JetStream: the same commit bytes and headers, published straight to a stream of the same configuration.
 *
 * @example
 * ```ts
 * const raw = await runRaw(server.url, w1, w1Commits(w1), 'RAW1'); // raw.commits / raw.seconds
 * ```
 */
export async function runRaw(url: string, w1: W1, commits: readonly W1Commit[], stream: string) {
  const prefix = stream.toLowerCase();
  const nc = await connectClient(url, `bench-raw-${prefix}`);
  const jsm = await jetstreamManager(nc);
  await addLogStream(jsm, stream, prefix);
  const raw = createRawPublisher(nc);
  const toRaw = (c: W1Commit) => ({ subject: `${prefix}.evt.Account.${c.id}`, bytes: c.bytes, commandId: c.commandId });
  try {
    const opens = commits.slice(0, w1.open.length).map(toRaw);
    const ops = commits.slice(w1.open.length).map(toRaw);
    const heads: SubjectHeads = new Map();
    const opened = await publishChained(raw, opens.length, (i) => opens[i]!, WINDOW, heads);
    let published: Awaited<ReturnType<typeof publishChained>> | undefined;
    const t0 = performance.now();
    const cost = await measureCost(ops.length, async () => void (published = await publishChained(raw, ops.length, (i) => ops[i]!, WINDOW, heads)));
    const seconds = (performance.now() - t0) / 1000;
    const { latencies, failures } = published!;
    const stored = (await jsm.streams.info(stream)).state.messages;
    const ok = opened.failures.length === 0 && failures.length === 0 && stored === commits.length;
    if (!ok) console.error(`raw ${stream}: ${stored}/${commits.length} stored; ${[...opened.failures, ...failures].slice(0, 3).join('; ')}`);
    await jsm.streams.delete(stream);
    return { seconds, latencies, commits: ops.length, ok, cost };
  } finally {
    raw.close();
    await nc.drain();
  }
}

/** W1 in-process with every stage timed: the CPU budget (see `stageBudget.ts`). */
async function runBudgeted(url: string, w1: W1, stream: string) {
  const budget = createStageBudget();
  const app = await openProbedNatsApp({ servers: url, stream, prefix: stream.toLowerCase() }, [Account], budget.probe);
  try {
    let measured: Budget | undefined;
    const run = await runWorkload(app, w1, WINDOW, async (work) => void (measured = await budget.measure(w1.operations.length, work)));
    return { budget: measured!, ok: run.ok };
  } finally {
    await app.close();
  }
}

/** Every account's balance and version read back from the write model, against the model. */
async function mismatches(app: NatsApp, balances: ReadonlyMap<string, number>, versions: ReadonlyMap<string, number>): Promise<number> {
  let wrong = 0;
  await runWindowed([...balances], 200, async ([id, balance]) => {
    const s = await app.state(Account, id);
    if (s?.context.balance !== balance || s.version !== versions.get(id)) wrong++;
  });
  return wrong;
}

/**
 * W1 on the JetStream engine. In-process: `app.send` on a node that hosts the actors. Remote: a
 * client on its own connection (as a separate process would have) sends over the command service
 * of a node hosting the actors; both run in this process, so the client's CPU is counted too.
 */
async function runFramework(url: string, w1: W1, stream: string, remote: boolean) {
  const prefix = stream.toLowerCase();
  const app = await createApp({ engine: 'nats', servers: url, stream, prefix, aggregates: [Account], serveCommands: remote, logger });
  const clientNc = remote ? await connectClient(url, 'bench-client') : undefined;
  const client = clientNc ? createCommandClient({ nc: clientNc, prefix, timeout: 30_000 }) : undefined;
  const send = client ? (c: Command) => client.send(c) : (c: Command) => app.send(c);
  try {
    const opening: Outcome = { accepted: 0, rejected: 0, otherErrors: [] };
    await runWindowed(w1.open, WINDOW, send, (r) => tally(opening, r));
    const outcome: Outcome = { accepted: 0, rejected: 0, otherErrors: [] };
    const t0 = performance.now();
    const latencies = await runWindowed(w1.operations, WINDOW, send, (r) => tally(outcome, r));
    const seconds = (performance.now() - t0) / 1000;
    const wrong = await mismatches(app, w1.expected.balances, w1.expected.versions);
    const errors = [...opening.otherErrors, ...outcome.otherErrors];
    const ok =
      wrong === 0 &&
      errors.length === 0 &&
      opening.accepted === w1.open.length &&
      outcome.accepted === w1.expected.accepted &&
      outcome.rejected === w1.expected.rejected;
    if (!ok) console.error(`W1 on ${stream} differs from the model: ${wrong} account mismatches; errors: ${errors.slice(0, 3).join('; ')}`);
    return { seconds, latencies, outcome, ok };
  } finally {
    await client?.close();
    await clientNc?.drain();
    await app.close();
  }
}

/**
 * W1 sent by a client in another process (`bench/support/remoteClient.ts`), as a real client
 * would be, to a node of this process serving the command service.
 */
async function runRemoteProcess(url: string, w1: W1, stream: string) {
  const prefix = stream.toLowerCase();
  const app = await createApp({ engine: 'nats', servers: url, stream, prefix, aggregates: [Account], logger });
  try {
    const args = [url, prefix, String(w1.open.length), String(w1.operations.length), String(WINDOW)];
    const r = await runClientProcess(new URL('../support/remoteClient.ts', import.meta.url), args);
    const wrong = await mismatches(app, w1.expected.balances, w1.expected.versions);
    const ok =
      wrong === 0 &&
      r.errors.length === 0 &&
      r.opened === w1.open.length &&
      r.accepted === w1.expected.accepted &&
      r.rejected === w1.expected.rejected;
    if (!ok) console.error(`W1 from another process differs from the model: ${wrong} account mismatches; errors: ${r.errors.slice(0, 3).join('; ')}`);
    return { ...r, ok };
  } finally {
    await app.close();
  }
}

/**
 * `npm run bench -- nats`: W1 on the JetStream engine, dispatched in-process and sent through the
 * NATS command service, against raw JetStream publishes of the same commits with the same headers
 * and window (run before and after, the faster counts), with the CPU budget per stage of a third,
 * instrumented in-process run, and the design's ceiling (raw publish with the host's unavoidable
 * CPU in this process, `runJetStreamCeiling`), and the command service's ceiling (the same work
 * behind a bare responder, sent W1 by a bare client process, `runServiceCeiling`); then cold loads per aggregate with and without
 * snapshots beside a plain ordered consumer. Starts its own nats-server.
 *
 * @example
 * ```sh
 * npm run bench -- nats --json
 * ```
 */
export const natsSuite: Suite = async (report: Report, { quick }) => {
  const suite = 'nats';
  const w1 = createW1(quick ? { accounts: 1000, operations: 10_000 } : {});
  const commits = w1Commits(w1);
  const server = await startNatsServer();
  try {
    const raw1 = await runRaw(server.url, w1, commits, 'RAW_1');
    const local = await runFramework(server.url, w1, 'W1_LOCAL', false);
    const budgeted = await runBudgeted(server.url, w1, 'W1_BUDGET');
    const remote = await runFramework(server.url, w1, 'W1_REMOTE', true);
    const separate = await runRemoteProcess(server.url, w1, 'W1_PROCESS');
    const raw2 = await runRaw(server.url, w1, commits, 'RAW_2');
    const ceilingNc = await connectClient(server.url, 'bench-ceiling');
    const [ceilingX, ceilingR, ceilingSvc] = await (async () => {
      try {
        return [
          await runJetStreamCeiling(ceilingNc, xstateCore(), w1, 'CEILING_X', WINDOW),
          await runJetStreamCeiling(ceilingNc, reducerCore(), w1, 'CEILING_R', WINDOW),
          await runServiceCeiling(ceilingNc, server.url, xstateCore(), w1, 'CEILING_SVC', WINDOW),
        ] as const;
      } finally {
        await ceilingNc.drain();
      }
    })();
    const cold = await coldLoads(server.url, 'W1_REMOTE', w1, quick ? 100 : 1000);

    const raw = raw1.seconds <= raw2.seconds ? raw1 : raw2;
    const rawOk = raw1.ok && raw2.ok;
    const rawRate = raw.commits / raw.seconds;
    const commands = w1.operations.length;
    const lat = (l: ArrayLike<number>, p: number) => percentile(Array.from(l), p);

    report.add({ suite, metric: 'in flight (framework and raw alike)', value: WINDOW, unit: 'commands', ok: true });
    report.add({ suite, metric: 'raw JetStream publish commits/s (run 1)', value: raw1.commits / raw1.seconds, unit: 'commits/s', ok: raw1.ok });
    report.add({ suite, metric: 'raw JetStream publish commits/s (run 2)', value: raw2.commits / raw2.seconds, unit: 'commits/s', ok: raw2.ok });
    for (const [name, run] of [['in-process', local], ['remote, client in this process,', remote]] as const) {
      report.add({ suite, metric: `W1 ${name} commands/s`, value: commands / run.seconds, unit: 'cmd/s', ok: run.ok });
      report.add({
        suite,
        metric: `W1 ${name} accepted commits/s vs raw`,
        value: run.outcome.accepted / run.seconds,
        unit: 'commits/s',
        baseline: rawRate,
        ok: run.ok && rawOk,
      });
      report.add({ suite, metric: `W1 ${name} latency p50`, value: lat(run.latencies, 50), unit: 'ms', baseline: lat(raw.latencies, 50), ok: run.ok && rawOk });
      report.add({ suite, metric: `W1 ${name} latency p99`, value: lat(run.latencies, 99), unit: 'ms', baseline: lat(raw.latencies, 99), ok: run.ok && rawOk });
    }
    report.add({ suite, metric: 'raw publish main-thread busy time per commit', value: raw.cost.total, unit: 'µs', ok: rawOk });
    // The design's ceiling on JetStream: raw publish plus the host's unavoidable CPU in this process.
    for (const [name, c] of [['XState', ceilingX], ['reducer functions', ceilingR]] as const) {
      report.add({
        suite,
        metric: `ceiling (${name}): raw publish + the host's unavoidable CPU, accepted commits/s vs raw (target: in-process 0.6)`,
        value: c.accepted / c.seconds,
        unit: 'commits/s',
        baseline: rawRate,
        ok: c.ok && rawOk,
      });
      report.add({ suite, metric: `ceiling (${name}): main-thread busy time per command`, value: c.cost.total, unit: 'µs', baseline: raw.cost.total, ok: c.ok && rawOk });
    }
    report.add({ suite, metric: 'W1 in-process vs the ceiling (XState): what the glue leaves', value: local.outcome.accepted / local.seconds, unit: 'commits/s', baseline: ceilingX.accepted / ceilingX.seconds, ok: local.ok && ceilingX.ok });
    report.addBudget({ suite, run: `W1 in-process, ${WINDOW} in flight (instrumented)`, budget: budgeted.budget });
    if (!budgeted.ok) report.add({ suite, metric: 'instrumented W1 run verified', value: 0, unit: 'runs', ok: false });
    report.add({ suite, metric: `W1 remote, client in another process, commands/s`, value: commands / separate.seconds, unit: 'cmd/s', ok: separate.ok });
    report.add({
      suite,
      metric: 'W1 remote, client in another process, accepted commits/s vs raw',
      value: separate.accepted / separate.seconds,
      unit: 'commits/s',
      baseline: rawRate,
      ok: separate.ok && rawOk,
    });
    report.add({ suite, metric: 'W1 remote, client in another process, latency p50', value: separate.p50, unit: 'ms', baseline: lat(raw.latencies, 50), ok: separate.ok && rawOk });
    report.add({ suite, metric: 'W1 remote, client in another process, latency p99', value: separate.p99, unit: 'ms', baseline: lat(raw.latencies, 99), ok: separate.ok && rawOk });
    // The command service's ceiling: the same client process shape, a bare responder doing the in-process ceiling's work.
    report.add({
      suite,
      metric: 'ceiling (XState), command service: accepted commits/s vs raw (target 0.35)',
      value: ceilingSvc.accepted / ceilingSvc.seconds,
      unit: 'commits/s',
      baseline: rawRate,
      ok: ceilingSvc.ok && rawOk,
    });
    report.add({
      suite,
      metric: 'W1 through the command service vs its ceiling: what the glue leaves',
      value: separate.accepted / separate.seconds,
      unit: 'commits/s',
      baseline: ceilingSvc.accepted / ceilingSvc.seconds,
      ok: separate.ok && ceilingSvc.ok,
    });
    report.add({ suite, metric: 'rejected InsufficientFunds', value: remote.outcome.rejected, unit: 'commands', ok: remote.ok && local.ok });
    report.add({ suite, metric: `cold load: stream size (${cold.sample} accounts sampled)`, value: cold.messages, unit: 'messages', ok: cold.ok });
    const orderedP50 = percentile(cold.ordered.latencies, 50);
    const orderedP99 = percentile(cold.ordered.latencies, 99);
    report.add({ suite, metric: 'cold load p50, ordered consumer (raw)', value: orderedP50, unit: 'ms', ok: cold.ok });
    report.add({ suite, metric: 'cold load p99, ordered consumer (raw)', value: orderedP99, unit: 'ms', ok: cold.ok });
    report.add({ suite, metric: 'cold load p50, no snapshots', value: percentile(cold.plain.latencies, 50), unit: 'ms', baseline: orderedP50, ok: cold.ok });
    report.add({ suite, metric: 'cold load p99, no snapshots', value: percentile(cold.plain.latencies, 99), unit: 'ms', baseline: orderedP99, ok: cold.ok });
    report.add({ suite, metric: `cold load p50, snapshotEvery ${SNAPSHOT_EVERY}`, value: percentile(cold.snapshots.latencies, 50), unit: 'ms', baseline: orderedP50, ok: cold.ok });
    report.add({ suite, metric: `cold load p99, snapshotEvery ${SNAPSHOT_EVERY}`, value: percentile(cold.snapshots.latencies, 99), unit: 'ms', baseline: orderedP99, ok: cold.ok });
  } finally {
    await server.dispose();
  }
};
