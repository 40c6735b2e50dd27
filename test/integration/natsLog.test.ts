import { jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, ConfigError, ConnectionError, TimeoutError, ValidationError } from '../../src/errors.js';
import { decodeCommitRecord } from '../../src/eventLog/commitRecord.js';
import type { DomainEvent, EventEnvelope } from '../../src/eventLog/eventLog.js';
import { connectNats } from '../../src/eventLog/nats/connectNats.js';
import { createNatsEventLog, type NatsEventLog } from '../../src/eventLog/nats/createNatsEventLog.js';
import { startNatsServer } from '../support/natsServer.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

const ev = (type: string, n: number): DomainEvent => ({ type, data: { n } });
const nOf = (e: EventEnvelope) => (e.data as { n: number }).n;

let servers: string;
let admin: NatsConnection;
let jsm: JetStreamManager;
const opened: NatsEventLog[] = [];
const streams: string[] = [];

/** A log on its own stream (or on `stream`, to share it with another log, as another node would). */
async function openLog(stream?: string, extra: Parameters<typeof createNatsEventLog>[0] = {}): Promise<NatsEventLog> {
  const name = stream ?? uniqueName('INT');
  if (!streams.includes(name)) streams.push(name);
  const log = await createNatsEventLog({ servers, stream: name, prefix: name.toLowerCase(), ...extra });
  opened.push(log);
  return log;
}

beforeAll(async () => {
  servers = sharedNatsUrl();
  admin = await connect({ servers });
  jsm = await jetstreamManager(admin);
});

afterAll(async () => {
  await Promise.all(opened.map((l) => l.close()));
  for (const s of streams) {
    for (const name of [s, `${s}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
  }
  await admin?.close();
});

describe('stream set-up', () => {
  it('creates both streams with the settings the engine relies on', async () => {
    const log = await openLog(undefined, { duplicateWindow: 30_000 });
    const events = await jsm.streams.info(log.stream);
    expect(events.config).toMatchObject({
      subjects: [`${log.prefix}.evt.>`, `${log.prefix}.rej.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      allow_direct: true,
      num_replicas: 1,
      max_age: 0,
      duplicate_window: nanos(30_000),
      max_msgs_per_subject: -1,
    });
    const snaps = await jsm.streams.info(log.snapshotStream);
    expect(snaps.config).toMatchObject({ subjects: [`${log.prefix}.snap.>`], allow_direct: true, max_msgs_per_subject: 1 });
  });

  it('checks an existing stream: same settings are fine, conflicting ones are a ConfigError and left unchanged', async () => {
    const first = await openLog();
    await first.append('Account', 'a-1', [ev('Opened', 1)], { commandId: 'c-1' });
    // Another node with the same settings starts fine and sees the same log.
    const second = await openLog(first.stream);
    expect((await second.readStream('Account', 'a-1')).map(nOf)).toEqual([1]);

    const err = await openLog(first.stream, { maxAge: 3_600_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/max_age/);
    expect((await jsm.streams.info(first.stream)).config.max_age).toBe(0);

    // A stream made by someone else, without direct gets, is refused rather than edited.
    const foreign = uniqueName('FOREIGN');
    streams.push(foreign);
    await jsm.streams.add({ name: foreign, subjects: [`${foreign.toLowerCase()}.evt.>`] });
    const refused = await createNatsEventLog({ servers, stream: foreign, prefix: foreign.toLowerCase() }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toMatch(/allow_direct is false, expected true/);
    expect((await jsm.streams.info(foreign)).config.allow_direct).toBe(false);
  });

  it('adds the refusal subjects to a stream made before refusals were stored, keeping its commits', async () => {
    const first = await openLog();
    await first.append('Account', 'a-1', [ev('Opened', 1)], { commandId: 'c-1' });
    await jsm.streams.update(first.stream, { subjects: [`${first.prefix}.evt.>`] });
    const second = await openLog(first.stream);
    expect((await jsm.streams.info(first.stream)).config.subjects).toEqual([`${first.prefix}.evt.>`, `${first.prefix}.rej.>`]);
    expect((await second.readStream('Account', 'a-1')).map(nOf)).toEqual([1]);
    expect(await second.refuse!('Account', 'a-1', 'no', { commandId: 'c-2' })).toMatchObject({ kind: 'refusal' });
  });

  it('refuses invalid names with a ConfigError before connecting', async () => {
    await expect(createNatsEventLog({ servers, stream: 'bad.name' })).rejects.toBeInstanceOf(ConfigError);
    await expect(createNatsEventLog({ servers, prefix: 'bad.>' })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('append', () => {
  it('stores one message per commit: subject, headers and the commit record bytes', async () => {
    const log = await openLog();
    const r = await log.append('Account', 'a-1', [ev('Opened', 1), ev('Deposited', 2)], {
      expectedVersion: 0,
      commandId: 'cmd-1',
    });
    const msg = await jsm.direct.getMessage(log.stream, { seq: r.position });
    expect(msg?.subject).toBe(`${log.prefix}.evt.Account.a-1.0`);
    expect(msg?.header.get('Nats-Msg-Id')).toBe('cmd-1');
    expect(msg?.header.get('Nats-Expected-Last-Subject-Sequence')).toBe('0');
    expect(decodeCommitRecord(msg!.data)).toMatchObject({ aggregate: 'Account', id: 'a-1', version: 2, commandId: 'cmd-1' });
    const r2 = await log.append('Account', 'a-1', [ev('Deposited', 3)], { expectedVersion: 2, commandId: 'cmd-2' });
    const msg2 = await jsm.direct.getMessage(log.stream, { seq: r2.position });
    // Each commit goes to the subject of the version it builds on, which must still be empty.
    expect(msg2?.subject).toBe(`${log.prefix}.evt.Account.a-1.2`);
    expect(msg2?.header.get('Nats-Expected-Last-Subject-Sequence')).toBe('0');
  });

  it("JetStream's wrong-last-sequence (10071) from another writer is a ConcurrencyError, and nothing is written", async () => {
    const nodeA = await openLog();
    const nodeB = await openLog(nodeA.stream);
    await nodeA.append('Account', 'a-1', [ev('Opened', 1)], { expectedVersion: 0, commandId: 'c1' });
    // B learns version 1; then A moves on, so B's cached sequence is stale and B's local check passes.
    expect(await nodeB.readStream('Account', 'a-1')).toHaveLength(1);
    await nodeA.append('Account', 'a-1', [ev('Deposited', 2)], { expectedVersion: 1, commandId: 'c2' });
    const head = await nodeA.headPosition();
    const err = await nodeB
      .append('Account', 'a-1', [ev('Deposited', 3)], { expectedVersion: 1, commandId: 'c3' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrencyError);
    expect((err as ConcurrencyError).details).toMatchObject({ expectedVersion: 1, actualVersion: 2 });
    expect(await nodeA.headPosition()).toBe(head);
    // With the right version, B succeeds (its head was refreshed).
    const ok = await nodeB.append('Account', 'a-1', [ev('Deposited', 3)], { expectedVersion: 2, commandId: 'c3' });
    expect(ok.version).toBe(3);
  });

  it('without an expectedVersion, a stale head is refreshed and the append lands at the right version', async () => {
    const nodeA = await openLog();
    const nodeB = await openLog(nodeA.stream);
    await nodeB.append('Order', 'o-1', [ev('Created', 1)], { commandId: 'o1' });
    await nodeA.append('Order', 'o-1', [ev('ItemAdded', 2)], { commandId: 'o2' });
    await nodeA.append('Order', 'o-1', [ev('ItemAdded', 3)], { commandId: 'o3' });
    const r = await nodeB.append('Order', 'o-1', [ev('Shipped', 4)], { commandId: 'o4' });
    expect(r.version).toBe(4);
    expect((await nodeA.readStream('Order', 'o-1')).map((e) => [e.version, nOf(e)])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
  });

  it('a repeated Nats-Msg-Id returns the first result, from any node, and writes nothing', async () => {
    const nodeA = await openLog();
    const first = await nodeA.append('Account', 'a-1', [ev('Opened', 1), ev('Deposited', 2)], {
      expectedVersion: 0,
      commandId: 'same',
      correlationId: 'corr-1',
    });
    await nodeA.append('Account', 'a-1', [ev('Deposited', 3)], { expectedVersion: 2, commandId: 'next' });
    const head = await nodeA.headPosition();
    // A second node with a cold cache and a stale expected version: still the first result.
    const nodeB = await openLog(nodeA.stream);
    for (const log of [nodeA, nodeB]) {
      const again = await log.append('Account', 'a-1', [ev('Other', 9)], { expectedVersion: 0, commandId: 'same' });
      expect(again).toEqual({ ...first, duplicate: true });
      const noVersion = await log.append('Account', 'a-1', [ev('Other', 9)], { commandId: 'same' });
      expect(noVersion.position).toBe(first.position);
      expect(noVersion.events.map((e) => e.correlationId)).toEqual(['corr-1', 'corr-1']);
    }
    expect(await nodeA.headPosition()).toBe(head);
    // JetStream itself sees the id as a duplicate.
    const h = headers();
    h.set('Nats-Msg-Id', 'same');
    const raw = await admin.request(`${nodeA.prefix}.evt.Account.a-1`, new Uint8Array([0xc0]), { headers: h, timeout: 2000 });
    expect(raw.json()).toMatchObject({ seq: first.position, duplicate: true });
  });

  it('commandIds a header cannot carry as-is stay distinct', async () => {
    const log = await openLog();
    const ids = ['x', ' x', 'x ', 'a\nb', 'b64~eA', 'ünï'];
    const results = [];
    for (const [i, commandId] of ids.entries()) {
      results.push(await log.append('Account', 'ids', [ev('E', i)], { commandId }));
    }
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(new Set(results.map((r) => r.position)).size).toBe(ids.length);
    const again = await log.append('Account', 'ids', [ev('E', 99)], { commandId: 'a\nb' });
    expect(again).toMatchObject({ duplicate: true, position: results[3]!.position });
  });

  it('a commit larger than the server accepts is a ValidationError, and nothing is written', async () => {
    const log = await openLog();
    const big = { type: 'Big', data: { blob: 'x'.repeat(2 * 1024 * 1024) } };
    const err = await log.append('Account', 'big', [big], { commandId: 'big' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/max_payload/);
    expect(await log.headPosition()).toBe(0);
  });

  it('keeps thousands of appends in flight and resolves each with its own position', async () => {
    const log = await openLog();
    const n = 3000;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        log.append('Account', `p-${i % 500}`, [ev('E', i)], { commandId: `k-${i}`, expectedVersion: Math.floor(i / 500) }),
      ),
    );
    expect(new Set(results.map((r) => r.position)).size).toBe(n);
    expect(results.map((r) => r.version)).toEqual(Array.from({ length: n }, (_, i) => Math.floor(i / 500) + 1));
    expect(await log.headPosition()).toBe(Math.max(...results.map((r) => r.position)));
  });
});

describe('readStream and snapshots', () => {
  /** 40 commits of Account/hot (versions 1..60), interleaved with commits of other aggregates. */
  async function seed(log: NatsEventLog) {
    const positions: number[] = []; // positions[v] = position of the commit holding version v
    let version = 0;
    for (let i = 0; i < 40; i++) {
      const events = i % 2 === 0 ? [ev('E', version + 1)] : [ev('E', version + 1), ev('E', version + 2)];
      const r = await log.append('Account', 'hot', events, { expectedVersion: version, commandId: `hot-${i}` });
      for (const e of r.events) positions[e.version] = e.position;
      version = r.version;
      await log.append('Account', `noise-${i % 7}`, [ev('N', i)], { commandId: `noise-${i}` });
    }
    return { positions, version };
  }
  const fold = (state: number, events: readonly EventEnvelope[]) => events.reduce((s, e) => (s * 31 + nOf(e)) % 1_000_003, state);

  it('a snapshot never changes the result: any version, even a wrong position, gives the same events and state', async () => {
    const writer = await openLog();
    const { positions, version } = await seed(writer);
    expect(version).toBe(60);
    const all = await writer.readStream('Account', 'hot');
    expect(all.map((e) => e.version)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(all.map(nOf)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const fullState = fold(0, all);

    const cases: Array<{ v: number; position: number }> = [
      ...[0, 1, 2, 9, 30, 51, 58, 59, 60].map((v) => ({ v, position: v === 0 ? 0 : positions[v]! })),
      // Wrong positions: past the snapshot's version, and far before it.
      { v: 10, position: positions[50]! },
      { v: 45, position: 1 },
    ];
    for (const { v, position } of cases) {
      const reader = await openLog(writer.stream); // a cold node: nothing cached
      await reader.snapshots.save('Account', 'hot', { version: v, position, state: fold(0, all.slice(0, v)) });
      const snap = await reader.snapshots.load('Account', 'hot');
      expect(snap?.version).toBe(v);
      const tail = await reader.readStream('Account', 'hot', { fromVersion: v + 1 });
      expect(tail.map((e) => e.version), `snapshot at v${v}, position ${position}`).toEqual(
        Array.from({ length: 60 - v }, (_, i) => v + 1 + i),
      );
      expect(fold(snap!.state as number, tail)).toBe(fullState);
      expect(tail).toEqual(all.slice(v));
      await reader.close();
    }
    // Every tail consumer was deleted.
    const consumers = [];
    for await (const c of await jsm.consumers.list(writer.stream)) consumers.push(c.name);
    expect(consumers).toEqual([]);
  });

  it('a cold load with a snapshot reads only the tail', async () => {
    const writer = await openLog();
    const { positions } = await seed(writer);
    const cold = async (snapshotVersion: number | undefined) => {
      const reader = await openLog(writer.stream);
      const before = reader.connection.stats().inMsgs;
      let fromVersion = 1;
      if (snapshotVersion !== undefined) {
        await writer.snapshots.save('Account', 'hot', { version: snapshotVersion, position: positions[snapshotVersion]!, state: 0 });
        fromVersion = (await reader.snapshots.load('Account', 'hot'))!.version + 1;
      }
      const events = await reader.readStream('Account', 'hot', { fromVersion });
      const received = reader.connection.stats().inMsgs - before;
      await reader.close();
      return { events: events.length, received };
    };
    // Snapshot at the head: the snapshot, the empty next version, and the check that the
    // snapshot's position holds a commit ending at its version.
    expect(await cold(60)).toEqual({ events: 0, received: 3 });
    // One commit behind: the snapshot, the commit built on its version, the empty next version.
    expect(await cold(58)).toEqual({ events: 2, received: 3 });
    // Three commits behind: the snapshot, the three commits, the empty next version.
    expect(await cold(55)).toEqual({ events: 5, received: 5 });
    // Without a snapshot the whole stream is read.
    const full = await cold(undefined);
    expect(full.events).toBe(60);
    expect(full.received).toBeGreaterThanOrEqual(40);
  });

  it('a reload on the node that wrote past the snapshot reads only the tail, not the whole stream', async () => {
    // The instance is dropped after a failed append while the log still knows the head (v60):
    // the reload starts from the snapshot, with direct gets only.
    const writer = await openLog();
    const { positions } = await seed(writer);
    await writer.snapshots.save('Account', 'hot', { version: 51, position: positions[51]!, state: 0 });
    // The whole stream comes from another connection: its 40 commits take a consumer, whose
    // deletion is answered in the background and must not land in the count below.
    const all = await (await openLog(writer.stream)).readStream('Account', 'hot');
    const fromVersion = (await writer.snapshots.load('Account', 'hot'))!.version + 1;
    const before = writer.connection.stats().inMsgs;
    const tail = await writer.readStream('Account', 'hot', { fromVersion });
    const received = writer.connection.stats().inMsgs - before;
    expect(tail).toEqual(all.slice(51));
    // The six commits holding versions 52..60, and the empty next version (a read from version 0
    // would take 40 commits through a consumer).
    expect(received).toBe(7);
  });
});

describe('reads that start at a commit', () => {
  it('are direct gets from that commit, behind the head and with no snapshot; toVersion stops at the commit wanted', async () => {
    // A retried command's commit, or a catch-up after a failed append, is read from a version
    // behind the head this node knows, where no snapshot may be (snapshots off, or unsaved while
    // their stream elects a leader). From version 0 it took 33 direct gets and a consumer, and a
    // consumer waits for the meta leader during an election.
    const writer = await openLog();
    for (let v = 0; v < 80; v++) await writer.append('Account', 'trail', [ev('E', v + 1)], { expectedVersion: v, commandId: `trail-${v}` });
    const all = await (await openLog(writer.stream)).readStream('Account', 'trail');
    const read = async (options: { fromVersion: number; toVersion?: number }) => {
      const before = writer.connection.stats().inMsgs;
      const events = await writer.readStream('Account', 'trail', options);
      return { events, received: writer.connection.stats().inMsgs - before };
    };
    for (const fromVersion of [80, 70, 60]) {
      const { events, received } = await read({ fromVersion });
      expect(events).toEqual(all.slice(fromVersion - 1));
      // The commits from fromVersion to the head, and the empty next version.
      expect(received, `from version ${fromVersion}`).toBe(80 - fromVersion + 2);
    }
    const one = await read({ fromVersion: 10, toVersion: 10 });
    expect(one).toEqual({ events: [all[9]], received: 1 });
    const some = await read({ fromVersion: 20, toVersion: 24 });
    expect(some).toEqual({ events: all.slice(19, 24), received: 5 });
    expect((await read({ fromVersion: 5, toVersion: 4 })).events).toEqual([]);
    const consumers = [];
    for await (const c of await jsm.consumers.list(writer.stream)) consumers.push(c.name);
    expect(consumers).toEqual([]);
  });
});

describe('readAll / readBatches', () => {
  it('pulls only when asked: a paused reader holds at most about one batch', async () => {
    const log = await openLog();
    await Promise.all(Array.from({ length: 2000 }, (_, i) => log.append('Account', `m-${i % 50}`, [ev('E', i)], { commandId: `m-${i}` })));
    const reader = await openLog(log.stream);
    const iterator = reader.readBatches({ maxBatch: 100, live: false })[Symbol.asyncIterator]();
    const before = reader.connection.stats().inMsgs;
    const first = await iterator.next();
    expect(first.value).toHaveLength(100);
    await new Promise((r) => setTimeout(r, 300));
    const held = reader.connection.stats().inMsgs - before;
    expect(held).toBeLessThan(250);
    // Reading on delivers the rest, in order, once each.
    let count = 100;
    let last = (first.value as { position: number }[])[99]!.position;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      for (const c of r.value) {
        expect(c.position).toBe(last + 1);
        last = c.position;
        count += 1;
      }
    }
    expect(count).toBe(2000);
  });

  it('a live readAll follows appends from another node; unsubscribing deletes its consumer', async () => {
    const writer = await openLog();
    const reader = await openLog(writer.stream);
    await writer.append('Account', 'a', [ev('E', 0)], { commandId: 'pre' });
    const got = firstValueFrom(reader.readAll({ fromPosition: 1 }).pipe(take(21), toArray()));
    for (let i = 1; i <= 20; i++) await writer.append('Account', 'a', [ev('E', i)], { commandId: `live-${i}` });
    expect((await got).map((c) => nOf(c.events[0]!))).toEqual(Array.from({ length: 21 }, (_, i) => i));
    await new Promise((r) => setTimeout(r, 100));
    const consumers = [];
    for await (const c of await jsm.consumers.list(writer.stream)) consumers.push(c.name);
    expect(consumers).toEqual([]);
  });
});

describe('connections', () => {
  it('a server requiring user/password accepts the right one and refuses a wrong one with ConnectionError', async () => {
    const server = await startNatsServer({ auth: { user: 'app', password: 's3cret' } });
    try {
      const log = await createNatsEventLog({ servers: server.url, user: 'app', password: 's3cret' });
      expect((await log.append('Account', 'a-1', [ev('Opened', 1)], { commandId: 'c1' })).version).toBe(1);
      await log.close();
      // The same credentials from the environment.
      const nc = await connectNats({ env: { NATS_URL: server.url, NATS_USER: 'app', NATS_PASSWORD: 's3cret' } });
      await nc.close();

      const err = await createNatsEventLog({ servers: server.url, user: 'app', password: 'wrong' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*authorization/i);
      expect((err as Error).message).not.toContain('wrong');
      await expect(connectNats({ servers: server.url })).rejects.toBeInstanceOf(ConnectionError);
    } finally {
      await server.dispose();
    }
  });

  it('an unacknowledged append is a TimeoutError; after a restart the log works again', async () => {
    const server = await startNatsServer();
    try {
      const log = await createNatsEventLog({ servers: server.url, timeout: 500, reconnectTimeWait: 100 });
      await log.append('Account', 'a-1', [ev('Opened', 1)], { expectedVersion: 0, commandId: 'c1' });
      await server.stop();
      const err = await log
        .append('Account', 'a-1', [ev('Deposited', 2)], { expectedVersion: 1, commandId: 'c2' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).message).toMatch(/no PubAck|did not accept/);
      await server.restart();
      // The retried command lands exactly once (stored or not before the stop).
      let result;
      for (let i = 0; i < 40 && !result; i++) {
        result = await log
          .append('Account', 'a-1', [ev('Deposited', 2)], { expectedVersion: 1, commandId: 'c2' })
          .catch(() => new Promise((r) => setTimeout(r, 100)).then(() => undefined));
      }
      expect(result?.version).toBe(2);
      expect((await log.readStream('Account', 'a-1')).map((e) => e.type)).toEqual(['Opened', 'Deposited']);
      await log.close();
    } finally {
      await server.dispose();
    }
  });

  it('appends made while the server restarts are sent again on reconnect and land once, as their own writes', async () => {
    const server = await startNatsServer();
    try {
      const log = await createNatsEventLog({ servers: server.url, reconnectTimeWait: 100 });
      await log.append('Account', 'first', [ev('Opened', 0)], { commandId: 'first' });
      await server.stop();
      const pending = Array.from({ length: 5 }, (_, i) =>
        log.append('Account', `r-${i}`, [ev('Opened', i)], { expectedVersion: 0, commandId: `r-${i}` }),
      );
      await server.restart();
      const results = await Promise.all(pending);
      expect(results.map((r) => [r.version, r.duplicate])).toEqual(Array.from({ length: 5 }, () => [1, false]));
      expect(await log.headPosition()).toBe(6);
      await log.close();
    } finally {
      await server.dispose();
    }
  });

  it('a live reader survives a server restart with no gap or duplicate', async () => {
    const server = await startNatsServer();
    try {
      const log = await createNatsEventLog({ servers: server.url, reconnectTimeWait: 100 });
      const got = firstValueFrom(log.readAll({ fromPosition: 1 }).pipe(take(20), toArray()));
      for (let i = 0; i < 10; i++) await log.append('Account', 'a', [ev('E', i)], { commandId: `before-${i}` });
      await server.restart();
      for (let i = 10; i < 20; i++) {
        // Appends right after the restart may time out while the client reconnects: retry them.
        for (let tries = 0; ; tries++) {
          const ok = await log.append('Account', 'a', [ev('E', i)], { commandId: `after-${i}` }).then(
            () => true,
            () => false,
          );
          if (ok) break;
          if (tries > 50) throw new Error(`append ${i} kept failing after the restart`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const commits = await got;
      expect(commits.map((c) => c.position)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(commits.map((c) => nOf(c.events[0]!))).toEqual(Array.from({ length: 20 }, (_, i) => i));
      await log.close();
    } finally {
      await server.dispose();
    }
  });

  it('close() leaves a connection it was given open, and drains one it opened', async () => {
    const nc = await connectNats({ servers });
    const shared = await openLog(undefined, { nc });
    await shared.close();
    expect(nc.isClosed()).toBe(false);
    await nc.close();
    const own = await openLog();
    await own.close();
    expect(own.connection.isClosed()).toBe(true);
    await own.close(); // idempotent
  });
});
