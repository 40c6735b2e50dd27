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
  createLogger,
  createNatsEventLog,
  createProjections,
  defineProjection,
  type App,
  type EventLog,
  type View,
} from '../../src/index.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import { startNatsServer } from '../../test/support/natsServer.js';
import type { Suite } from '../main.js';
import { createAccountEvents, type AccountEvents } from '../support/accountEvents.js';
import { addLogStream, consumeStream, createRawPublisher, publishChained, type SubjectHeads } from '../support/jetStreamRaw.js';
import { openRawProjector } from '../support/rawProjector.js';
import { percentile, type Report } from '../support/report.js';
import { createW1 } from '../support/w1.js';

// Commits per batch (one LMDB transaction each), for the framework and the raw baseline alike.
const BATCH = 1000;
const ACCOUNTS = 10_000;
// Steady command rate of the latency runs.
const RATE = 1000;

const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });

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
async function frameworkCatchUp(log: EventLog, events: AccountEvents) {
  const dir = tempDir('views');
  const projections = await createProjections({ log, path: dir, projections: [AccountBalance, Totals], logger, maxBatch: BATCH });
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

/** Embedded: prefill through `log.append`, then the raw baseline and the framework over the same log. */
async function embeddedCatchUp(events: AccountEvents) {
  const dir = tempDir('log');
  const logPath = join(dir, 'log');
  try {
    let log = await createLmdbEventLog({ path: logPath, logger });
    const t0 = performance.now();
    const indexes = Array.from({ length: events.count }, (_, i) => i);
    await runWindowed(indexes, 10_000, (i) => {
      const r = events.record(i);
      return log.append('Account', r.id, r.events, { expectedVersion: r.version - 1, commandId: r.commandId, timestamp: r.timestamp });
    });
    const prefillSeconds = (performance.now() - t0) / 1000;
    const head = await log.headPosition();
    await log.close();

    // The raw baseline reads the log's own commits database (position → record bytes).
    const rawDir = tempDir('raw');
    const root = open({ path: logPath });
    const commits = root.openDB<Uint8Array, number>({ name: 'commits', encoding: 'binary' });
    const raw = openRawProjector(rawDir);
    let rawSeconds: number;
    let rawOk: boolean;
    try {
      const t1 = performance.now();
      for (let next = 1; next <= head; next += BATCH) {
        const batch: Array<{ position: number; bytes: Uint8Array }> = [];
        for (const { key, value } of commits.getRange({ start: next, end: next + BATCH })) batch.push({ position: key, bytes: value });
        await raw.apply(batch);
      }
      rawSeconds = (performance.now() - t1) / 1000;
      rawOk = raw.applied === events.count && verifyViews(events, raw.readBack());
    } finally {
      await raw.close();
      await root.close();
      rmSync(rawDir, { recursive: true, force: true });
    }

    log = await createLmdbEventLog({ path: logPath, logger });
    try {
      const fw = await frameworkCatchUp(log, events);
      return { prefillSeconds, rawSeconds, rawOk, ...fw };
    } finally {
      await log.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** JetStream: prefill with raw publishes (same bytes and headers as appends), then the raw ordered-consumer baseline and the framework. */
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

    const rawDir = tempDir('raw');
    const raw = openRawProjector(rawDir);
    let rawSeconds: number;
    let rawOk: boolean;
    try {
      const t1 = performance.now();
      await consumeStream(jetstream(nc), stream, lastSeq, BATCH, (batch) => raw.apply(batch));
      rawSeconds = (performance.now() - t1) / 1000;
      rawOk = raw.applied === events.count && verifyViews(events, raw.readBack());
    } finally {
      await raw.close();
      rmSync(rawDir, { recursive: true, force: true });
    }

    const log = await createNatsEventLog({ servers: url, stream, prefix, logger });
    try {
      const fw = await frameworkCatchUp(log, events);
      return { prefillSeconds, rawSeconds, rawOk, ...fw };
    } finally {
      await log.close();
    }
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

  const embeddedEvents = createAccountEvents({ accounts: ACCOUNTS, count: quick ? 50_000 : 1_000_000 });
  const emb = await embeddedCatchUp(embeddedEvents);
  const embN = embeddedEvents.count;
  report.add({ suite, metric: `embedded prefill via log.append (${embN.toLocaleString('en-US')} events)`, value: embN / emb.prefillSeconds, unit: 'events/s', ok: emb.ok });
  report.add({ suite, metric: 'embedded catch-up, 2 projections, events/s vs raw', value: embN / emb.seconds, unit: 'events/s', baseline: embN / emb.rawSeconds, ok: emb.ok && emb.rawOk });

  const server = await startNatsServer();
  try {
    const natsEvents = createAccountEvents({ accounts: ACCOUNTS, count: quick ? 20_000 : 1_000_000 });
    const nats = await natsCatchUp(server.url, natsEvents);
    const natsN = natsEvents.count;
    report.add({ suite, metric: `JetStream prefill via raw publish (${natsN.toLocaleString('en-US')} events)`, value: natsN / nats.prefillSeconds, unit: 'events/s', ok: nats.rawOk });
    report.add({ suite, metric: 'JetStream catch-up, 2 projections, events/s vs raw', value: natsN / nats.seconds, unit: 'events/s', baseline: natsN / nats.rawSeconds, ok: nats.ok && nats.rawOk });

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
