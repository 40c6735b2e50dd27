// Cold loads per aggregate on the log W1 left behind, for the nats suite: a fresh app without
// snapshots, one with them, and a plain ordered consumer, each checked against the model.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Account } from '../../actors/index.js';
import { decodeCommitRecord } from '../../src/eventLog/commitRecord.js';
import { createApp, defineAggregate, type Command } from '../../src/internal.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import { benchLogger as logger } from './benchLogger.js';
import { readSubjectOrdered } from './jetStreamRaw.js';
import type { W1 } from './w1.js';

const connectClient = (url: string, name: string): Promise<NatsConnection> =>
  connect({ servers: url, name, noAsyncTraces: true });

/**
 * Cold loads with snapshots: one every this many events, so the tail after the snapshot is 0–3 commits.
 *
 * @example
 * ```ts
 * report.add({ suite, metric: `cold load p50, snapshotEvery ${SNAPSHOT_EVERY}`, value, unit: 'ms' });
 * ```
 */
export const SNAPSHOT_EVERY = 4;

/** The Account aggregate with snapshots on: the same machine and schemas. */
const AccountWithSnapshots = defineAggregate({
  name: 'Account',
  machine: Account.machine,
  commands: Account.commands,
  events: Account.events,
  snapshotEvery: SNAPSHOT_EVERY,
});

type LoadResult = { latencies: number[]; wrong: number };

/** Loads each sampled account cold (a fresh app: no live actor, no cached head), one at a time. */
async function coldAppLoads(url: string, stream: string, withSnapshots: boolean, sample: readonly string[], expected: Map<string, { balance: number; version: number }>): Promise<LoadResult> {
  const app = await createApp({
    engine: 'nats',
    servers: url,
    stream,
    prefix: stream.toLowerCase(),
    aggregates: [withSnapshots ? AccountWithSnapshots : Account],
    snapshotEvery: false,
    serveCommands: false,
    logger,
  });
  const latencies: number[] = [];
  let wrong = 0;
  try {
    for (const id of sample) {
      const t0 = performance.now();
      const s = await app.state(Account, id);
      latencies.push(performance.now() - t0);
      const want = expected.get(id)!;
      if (s?.context.balance !== want.balance || s.version !== want.version) wrong++;
    }
  } finally {
    await app.close();
  }
  return { latencies, wrong };
}

/** The same aggregates read by a plain ordered consumer filtered to each one's subject. */
async function coldOrderedLoads(url: string, stream: string, sample: readonly string[], expected: Map<string, { balance: number; version: number }>): Promise<LoadResult> {
  const nc = await connectClient(url, 'bench-ordered');
  const js = jetstream(nc);
  const latencies: number[] = [];
  let wrong = 0;
  try {
    for (const id of sample) {
      const t0 = performance.now();
      const bodies = await readSubjectOrdered(js, stream, `${stream.toLowerCase()}.evt.Account.${id}.*`);
      let balance = 0;
      let version = 0;
      for (const body of bodies) {
        const record = decodeCommitRecord(body);
        version = record.version;
        for (const e of record.events) {
          const amount = (e.data as { amount?: number }).amount ?? 0;
          if (e.type === 'Deposited') balance += amount;
          else if (e.type === 'Withdrawn') balance -= amount;
        }
      }
      latencies.push(performance.now() - t0);
      const want = expected.get(id)!;
      if (balance !== want.balance || version !== want.version) wrong++;
    }
  } finally {
    await nc.drain();
  }
  return { latencies, wrong };
}

/**
 * Cold loads on the log W1 left behind (each account's events scattered through the whole
 * stream). Snapshots are taken the way the framework takes them (a load with `snapshotEvery`
 * saves one), then 0–3 more commits are appended to each sampled account, round-robin so that
 * they are scattered too: the tail after a snapshot is what `snapshotEvery: 4` leaves in steady
 * state. Then three passes over the same accounts: a fresh app without snapshots, a fresh app
 * with them, and a plain ordered consumer.
 *
 * @example
 * ```ts
 * const cold = await coldLoads(server.url, 'W1_REMOTE', w1, 1000); // cold.plain, cold.snapshots, cold.ordered
 * ```
 */
export async function coldLoads(url: string, stream: string, w1: W1, sampleSize: number) {
  const prefix = stream.toLowerCase();
  const step = Math.max(1, Math.floor(w1.open.length / sampleSize));
  const sample = Array.from({ length: Math.min(sampleSize, w1.open.length) }, (_, i) => `acc-${i * step}`);
  const expected = new Map(sample.map((id) => [id, { balance: w1.expected.balances.get(id)!, version: w1.expected.versions.get(id)! }]));

  const writer = await createApp({ engine: 'nats', servers: url, stream, prefix, aggregates: [AccountWithSnapshots], serveCommands: false, logger });
  try {
    for (const id of sample) await writer.state(Account, id);
  } finally {
    await writer.close(); // waits for the snapshot saves
  }
  const tails: Command[] = [];
  for (let round = 1; round < SNAPSHOT_EVERY; round++) {
    sample.forEach((id, i) => {
      if (i % SNAPSHOT_EVERY < round) return;
      tails.push({ type: 'Deposit', aggregate: 'Account', id, payload: { amount: round }, commandId: `tail-${round}-${id}` });
      const e = expected.get(id)!;
      e.balance += round;
      e.version += 1;
    });
  }
  const appender = await createApp({ engine: 'nats', servers: url, stream, prefix, aggregates: [Account], serveCommands: false, logger });
  let tailErrors = 0;
  try {
    await runWindowed(tails, 100, (c) => appender.send(c), (r) => (tailErrors += r.ok ? 0 : 1));
  } finally {
    await appender.close();
  }
  const messages = await (async () => {
    const nc = await connectClient(url, 'bench-info');
    try {
      return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
    } finally {
      await nc.drain();
    }
  })();
  const plain = await coldAppLoads(url, stream, false, sample, expected);
  const snapshots = await coldAppLoads(url, stream, true, sample, expected);
  const ordered = await coldOrderedLoads(url, stream, sample, expected);
  const ok = tailErrors === 0 && plain.wrong + snapshots.wrong + ordered.wrong === 0;
  if (!ok) console.error(`cold loads differ from the model: ${tailErrors} tail errors, ${plain.wrong}/${snapshots.wrong}/${ordered.wrong} wrong`);
  return { plain, snapshots, ordered, ok, messages, sample: sample.length };
}
