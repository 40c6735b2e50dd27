import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { open } from 'lmdb';
import { Account } from '../../actors/index.js';
import { AccountBalance, type AccountBalanceEvents, type AccountBalanceRow } from '../../projections/index.js';
import { encodeCommitRecord } from '../../src/eventLog/commitRecord.js';
import {
  createApp,
  createLmdbEventLog,
  createNatsEventLog,
  createProjections,
  defineProjection,
  type App,
  type EventLog,
  type View,
} from '../../src/internal.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import { startNatsServer } from '../../test/support/natsServer.js';
import type { Suite } from '../main.js';
import { benchLogger as logger } from '../support/benchLogger.js';
import { createAccountEvents, type AccountEvents } from '../support/accountEvents.js';
import { addLogStream, consumeStream, createRawPublisher, publishChained, type SubjectHeads } from '../support/jetStreamRaw.js';
import { openRawProjector } from '../support/rawProjector.js';
import { percentile, type Report } from '../support/report.js';
import { createW1 } from '../support/w1.js';
import { upcastRows } from './evolution.js';

// Commits per batch (one LMDB transaction each), for the framework and the raw baseline alike:
// the framework's default maxBatch (5000), and a larger one (embedded log only).
const BATCH = 5000;
const BIG_BATCH = 10_000;
const ACCOUNTS = 10_000;
// Steady command rate of the latency runs.
const RATE = 1000;


type TotalsRow = { accounts: number; balance: number; deposits: number; withdrawals: number };

const zero: TotalsRow = { accounts: 0, balance: 0, deposits: 0, withdrawals: 0 };
const totalsOf = (view: View<TotalsRow>): TotalsRow => view.get('all') ?? zero;

/** One row summing every account: a projection whose every event hits the same key. */
const Totals = defineProjection<TotalsRow, AccountBalanceEvents>({
  name: 'Totals',
  from: ['Account'],
  handlers: {
    AccountOpened: (view) => {
      const t = totalsOf(view);
      view.put('all', { ...t, accounts: t.accounts + 1 });
    },
    Deposited: (view, event) => {
      const t = totalsOf(view);
      view.put('all', { ...t, balance: t.balance + event.data.amount, deposits: t.deposits + 1 });
    },
    Withdrawn: (view, event) => {
      const t = totalsOf(view);
      view.put('all', { ...t, balance: t.balance - event.data.amount, withdrawals: t.withdrawals + 1 });
    },
  },
});

const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `trib-bench-${name}-`));

/** Both views against the model: every account's balance, their sum, and the totals row. */
function verifyViews(
  events: AccountEvents,
  read: { rows: number; sum: number; balanceOf: (id: string) => number | undefined; totals: TotalsRow | undefined },
): boolean {
  const e = events.expected;
  let wrong = 0;
  for (let a = 0; a < events.accounts; a++) if (read.balanceOf(`acc-${a}`) !== e.balances[a]) wrong++;
  const t = read.totals;
  const ok =
    wrong === 0 &&
    read.rows === events.accounts &&
    read.sum === e.total &&
    t?.accounts === e.opened &&
    t.balance === e.total &&
    t.deposits === e.deposits &&
    t.withdrawals === e.withdrawals;
  if (!ok) console.error(`views differ from the model: ${wrong} balances wrong; rows ${read.rows}, sum ${read.sum} (want ${e.total}), totals ${JSON.stringify(t)}`);
  return ok;
}

/** The framework: AccountBalance and Totals caught up from position 0 by createProjections. */
export async function frameworkCatchUp(log: EventLog, events: AccountEvents, batch: number) {
  const dir = tempDir('views');
  const projections = await createProjections({ log, path: dir, projections: [AccountBalance, Totals], logger, maxBatch: batch });
  try {
    const head = await log.headPosition();
    const t0 = performance.now();
    projections.start();
    await Promise.all([AccountBalance, Totals].map((p) => projections.get(p).waitFor(head, { timeout: 600_000 })));
    const seconds = (performance.now() - t0) / 1000;
    const balances = new Map<string, number>();
    let sum = 0;
    for (const { key, value } of await projections.get(AccountBalance).entries()) {
      balances.set(key, value.balance);
      sum += value.balance;
    }
    const totals = await projections.get(Totals).get('all');
    const ok = head === events.count && verifyViews(events, { rows: balances.size, sum, balanceOf: (id) => balances.get(id), totals });
    return { seconds, ok };
  } finally {
    await projections.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A raw pass over the log, timed; the views it builds are checked against the model. */
async function timedRaw(events: AccountEvents, read: (apply: (batch: Array<{ position: number; bytes: Uint8Array }>) => Promise<void>) => Promise<void>) {
  const dir = tempDir('raw');
  const raw = openRawProjector(dir);
  try {
    const t0 = performance.now();
    await read((batch) => raw.apply(batch));
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, ok: raw.applied === events.count && verifyViews(events, raw.readBack()) };
  } finally {
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Embedded: prefill through `log.append` (the log's own write path, so the bench does not depend
 * on its layout for writing), then the raw baseline, the framework, and the raw baseline again
 * over the same log. The raw passes read the log's commits database (position → record bytes)
 * directly, with the log closed.
 */
async function embeddedCatchUp(events: AccountEvents) {
  const dir = tempDir('log');
  const logPath = join(dir, 'log');
  try {
    const prefill = await createLmdbEventLog({ path: logPath, logger });
    const t0 = performance.now();
    const indexes = Array.from({ length: events.count }, (_, i) => i);
    await runWindowed(indexes, 10_000, (i) => {
      const r = events.record(i);
      return prefill.append('Account', r.id, r.events, { expectedVersion: r.version - 1, commandId: r.commandId, timestamp: r.timestamp });
    });
    const prefillSeconds = (performance.now() - t0) / 1000;
    const head = await prefill.headPosition();
    await prefill.close();

    const rawPass = (size: number) =>
      timedRaw(events, async (apply) => {
        const root = open({ path: logPath });
        const commits = root.openDB<Uint8Array, number>({ name: 'commits', encoding: 'binary' });
        try {
          for (let next = 1; next <= head; next += size) {
            const batch: Array<{ position: number; bytes: Uint8Array }> = [];
            for (const { key, value } of commits.getRange({ start: next, end: next + size })) batch.push({ position: key, bytes: value });
            await apply(batch);
          }
        } finally {
          await root.close();
        }
      });
    const framework = async (size: number) => {
      const log = await createLmdbEventLog({ path: logPath, logger });
      try {
        return await frameworkCatchUp(log, events, size);
      } finally {
        await log.close();
      }
    };
    const raw1 = await rawPass(BATCH);
    const fw = await framework(BATCH);
    const raw2 = await rawPass(BATCH);
    const bigRaw = await rawPass(BIG_BATCH);
    const big = await framework(BIG_BATCH);
    return { prefillSeconds, raw1, raw2, ...fw, big: { raw: bigRaw, ...big } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * JetStream: prefill with raw publishes (the same bytes and headers as the log's appends, at
 * about twice the speed), then the raw ordered-consumer baseline, the framework, and the raw
 * baseline again.
 */
async function natsCatchUp(url: string, events: AccountEvents) {
  const stream = 'PROJ';
  const prefix = 'proj';
  const nc = await connect({ servers: url, name: 'bench-projections-raw', noAsyncTraces: true });
  try {
    const jsm = await jetstreamManager(nc);
    await addLogStream(jsm, stream, prefix);
    const publisher = createRawPublisher(nc);
    const heads: SubjectHeads = new Map();
    const t0 = performance.now();
    const { failures } = await publishChained(
      publisher,
      events.count,
      (i) => {
        const r = events.record(i);
        return { subject: `${prefix}.evt.Account.${r.id}`, bytes: encodeCommitRecord(r), commandId: r.commandId };
      },
      1000,
      heads,
    );
    const prefillSeconds = (performance.now() - t0) / 1000;
    publisher.close();
    const lastSeq = (await jsm.streams.info(stream)).state.last_seq;
    if (failures.length > 0 || lastSeq !== events.count) throw new Error(`prefill failed: ${lastSeq}/${events.count}; ${failures.slice(0, 3).join('; ')}`);

    const rawPass = () => timedRaw(events, (apply) => consumeStream(jetstream(nc), stream, lastSeq, BATCH, apply));
    const raw1 = await rawPass();
    const log = await createNatsEventLog({ servers: url, stream, prefix, logger });
    let fw: { seconds: number; ok: boolean };
    try {
      fw = await frameworkCatchUp(log, events, BATCH);
    } finally {
      await log.close();
    }
    const raw2 = await rawPass();
    // A million messages and their dedupe entries would keep the server busy during the latency runs.
    await jsm.streams.delete(stream);
    await jsm.streams.delete(`${stream}_SNAPSHOTS`);
    return { prefillSeconds, raw1, raw2, ...fw };
  } finally {
    await nc.drain();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Commands at a steady `RATE` per second (each sent on its schedule, whatever the previous ones
 * are doing); for each, the time from send to its acknowledgement and to AccountBalance having
 * committed its position (`waitFor`).
 */
async function steadyLatency(app: App, seconds: number) {
  const dir = tempDir('views');
  const projections = await createProjections({ log: app.log, path: dir, projections: [AccountBalance, Totals], logger, maxBatch: BATCH });
  projections.start();
  const balances = projections.get(AccountBalance);
  // No overdraws: every command appends, so every one has a position to wait for.
  const w1 = createW1({ accounts: 1000, operations: RATE * seconds, overdraw: 0, seed: 2 });
  try {
    let errors = 0;
    await runWindowed(w1.open, 100, (c) => app.send(c), (r) => (errors += r.ok ? 0 : 1));
    await balances.waitFor(await app.log.headPosition());
    const ops = w1.operations;
    const acked = new Float64Array(ops.length);
    const visible = new Float64Array(ops.length);
    const inFlight: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; i < ops.length; i++) {
      const wait = start + (i * 1000) / RATE - performance.now();
      if (wait >= 1) await sleep(wait);
      inFlight.push(
        (async () => {
          const t0 = performance.now();
          const r = await app.send(ops[i]!);
          acked[i] = performance.now() - t0;
          if (!r.ok) {
            errors++;
            return;
          }
          await balances.waitFor(r.position);
          visible[i] = performance.now() - t0;
        })(),
      );
    }
    await Promise.all(inFlight);
    const rate = ops.length / ((performance.now() - start) / 1000);
    let wrong = 0;
    let sum = 0;
    for (const [id, balance] of w1.expected.balances) {
      const row: AccountBalanceRow | undefined = await balances.get(id);
      sum += row?.balance ?? 0;
      if (row?.balance !== balance) wrong++;
    }
    const totals = await projections.get(Totals).get('all', { minPosition: await app.log.headPosition() });
    const ok = errors === 0 && wrong === 0 && sum === w1.expected.totalBalance && totals?.balance === w1.expected.totalBalance;
    if (!ok) console.error(`latency run on ${app.log.engine} differs from the model: ${errors} errors, ${wrong} balances wrong`);
    return { rate, acked, visible, ok };
  } finally {
    await projections.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- projections`: catch-up of AccountBalance plus a totals projection from
 * position 0 over a prefilled W1-like log, against a hand-written read + LMDB put of the same
 * records in the same batch size, on the embedded log and on JetStream; then command →
 * projection-visible latency at a steady 1,000 commands/s on each engine.
 *
 * @example
 * ```sh
 * npm run bench -- projections --json
 * ```
 */
export const projectionsSuite: Suite = async (report: Report, { quick }) => {
  const suite = 'projections';
  const latencySeconds = quick ? 2 : 10;

  const catchUp = (engine: string, n: number, r: Awaited<ReturnType<typeof natsCatchUp>>) => {
    const rawOk = r.raw1.ok && r.raw2.ok;
    const best = Math.min(r.raw1.seconds, r.raw2.seconds);
    report.add({ suite, metric: `${engine} raw read + LMDB put events/s (run 1)`, value: n / r.raw1.seconds, unit: 'events/s', ok: r.raw1.ok });
    report.add({ suite, metric: `${engine} raw read + LMDB put events/s (run 2)`, value: n / r.raw2.seconds, unit: 'events/s', ok: r.raw2.ok });
    report.add({ suite, metric: `${engine} catch-up, 2 projections, events/s vs raw`, value: n / r.seconds, unit: 'events/s', baseline: n / best, ok: r.ok && rawOk });
  };

  report.add({ suite, metric: 'batch (framework maxBatch and raw alike)', value: BATCH, unit: 'commits', ok: true });
  const embeddedEvents = createAccountEvents({ accounts: ACCOUNTS, count: quick ? 50_000 : 1_000_000 });
  const emb = await embeddedCatchUp(embeddedEvents);
  report.add({ suite, metric: `embedded prefill via log.append (${embeddedEvents.count.toLocaleString('en-US')} events)`, value: embeddedEvents.count / emb.prefillSeconds, unit: 'events/s', ok: emb.ok });
  catchUp('embedded', embeddedEvents.count, emb);
  report.add({
    suite,
    metric: `embedded catch-up, maxBatch ${BIG_BATCH.toLocaleString('en-US')}, events/s vs raw`,
    value: embeddedEvents.count / emb.big.seconds,
    unit: 'events/s',
    baseline: embeddedEvents.count / emb.big.raw.seconds,
    ok: emb.big.ok && emb.big.raw.ok,
  });

  // Smaller when quick: these rows prefill two logs of their own.
  await upcastRows(report, quick ? createAccountEvents({ accounts: ACCOUNTS, count: 20_000 }) : embeddedEvents, BATCH);

  const server = await startNatsServer();
  try {
    const natsEvents = createAccountEvents({ accounts: ACCOUNTS, count: quick ? 20_000 : 1_000_000 });
    const nats = await natsCatchUp(server.url, natsEvents);
    report.add({ suite, metric: `JetStream prefill via raw publish (${natsEvents.count.toLocaleString('en-US')} events)`, value: natsEvents.count / nats.prefillSeconds, unit: 'events/s', ok: nats.ok });
    catchUp('JetStream', natsEvents.count, nats);

    const appDir = tempDir('app');
    const runs: Array<[string, () => Promise<App>]> = [
      ['embedded', () => createApp({ engine: 'embedded', dataDir: appDir, aggregates: [Account], logger })],
      ['JetStream', () => createApp({ engine: 'nats', servers: server.url, stream: 'LATENCY', prefix: 'latency', aggregates: [Account], serveCommands: false, logger })],
    ];
    try {
      for (const [engine, start] of runs) {
        const app = await start();
        try {
          const l = await steadyLatency(app, latencySeconds);
          report.add({ suite, metric: `${engine} steady rate (target ${RATE}/s)`, value: l.rate, unit: 'cmd/s', ok: l.ok });
          report.add({ suite, metric: `${engine} command → ack p50`, value: percentile(Array.from(l.acked), 50), unit: 'ms', ok: l.ok });
          report.add({ suite, metric: `${engine} command → ack p99`, value: percentile(Array.from(l.acked), 99), unit: 'ms', ok: l.ok });
          report.add({ suite, metric: `${engine} command → projection-visible p50`, value: percentile(Array.from(l.visible), 50), unit: 'ms', ok: l.ok });
          report.add({ suite, metric: `${engine} command → projection-visible p99`, value: percentile(Array.from(l.visible), 99), unit: 'ms', ok: l.ok });
        } finally {
          await app.close();
        }
      }
    } finally {
      rmSync(appDir, { recursive: true, force: true });
    }
  } finally {
    await server.dispose();
  }
};
