import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from '../support/natsCluster.js';

// Which JetStream checks does a clustered R3 stream serialise? Six racers, two per server, publish
// to one subject at once; each round counts how many were stored. The log's concurrency design
// (one subject per base version, published with expected-last-subject-sequence 0, and Nats-Msg-Id
// = commandId) rests only on the checks this file proves serialised.
const RACERS = 6;
const ROUNDS = 40;

let cluster: NatsCluster;
let racers: NatsConnection[];
let jsm: JetStreamManager;
let serverVersion: string;

beforeAll(async () => {
  cluster = await startNatsCluster();
  racers = await Promise.all(
    Array.from({ length: RACERS }, (_, i) => connect({ servers: cluster.urls[i % cluster.urls.length], noRandomize: true })),
  );
  jsm = await jetstreamManager(racers[0]!);
  await jsm.streams.add({ name: 'RACE', subjects: ['race.>'], num_replicas: 3, duplicate_window: 60_000_000_000 });
  serverVersion = racers[0]!.info?.version ?? '';
}, 60_000);

afterAll(async () => {
  await Promise.all((racers ?? []).map((nc) => nc.close()));
  await cluster?.dispose();
});

type Ack = { seq?: number; duplicate?: boolean; error?: { err_code?: number } };

const publish = async (nc: NatsConnection, subject: string, hdrs: Record<string, string>): Promise<Ack> => {
  const h = headers();
  for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
  const reply = await nc.request(subject, new TextEncoder().encode('x'), { headers: h, timeout: 10_000 });
  return JSON.parse(new TextDecoder().decode(reply.data)) as Ack;
};

/** How many of the racers' publishes were stored (not refused, not deduplicated), per round. */
const race = async (setup: (round: number) => Promise<{ subject: string; hdrs: (racer: number) => Record<string, string> }>) => {
  const stored: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { subject, hdrs } = await setup(round);
    const acks = await Promise.all(racers.map((nc, i) => publish(nc, subject, hdrs(i))));
    stored.push(acks.filter((a) => a.error === undefined && a.duplicate !== true).length);
  }
  return stored;
};

const isAffected = (version: string) => {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  return major === 2 && (minor < 9 || (minor === 9 && patch < 21));
};

describe('JetStream checks on a clustered R3 stream', () => {
  it('serialises Nats-Expected-Last-Subject-Sequence 0 on a fresh subject: one racer wins each round', async () => {
    const stored = await race(async (round) => ({ subject: `race.zero.${round}`, hdrs: () => ({ 'Nats-Expected-Last-Subject-Sequence': '0' }) }));
    expect(stored).toEqual(Array(ROUNDS).fill(1));
  });

  it('serialises Nats-Msg-Id dedupe: one racer stores the id each round', async () => {
    const stored = await race(async (round) => ({ subject: `race.msgid.${round % 3}`, hdrs: () => ({ 'Nats-Msg-Id': `id-${round}` }) }));
    expect(stored).toEqual(Array(ROUNDS).fill(1));
  });

  it('serialises both at once: an id already stored elsewhere is answered duplicate, before the sequence check', async () => {
    const stored = await race(async (round) => ({
      subject: `race.both.${round}`,
      hdrs: (i) => ({ 'Nats-Expected-Last-Subject-Sequence': '0', 'Nats-Msg-Id': `both-${round}-${i % 2}` }),
    }));
    expect(stored).toEqual(Array(ROUNDS).fill(1));
    // Either id may have won round 0: the one stored there is a duplicate anywhere else.
    const winner = (await jsm.streams.getMessage('RACE', { last_by_subj: 'race.both.0' }))?.header.get('Nats-Msg-Id');
    expect(winner).toMatch(/^both-0-[01]$/);
    const again = await publish(racers[1]!, 'race.both.fresh', { 'Nats-Expected-Last-Subject-Sequence': '0', 'Nats-Msg-Id': winner! });
    expect(again.duplicate).toBe(true);
  });

  it('does not serialise Nats-Expected-Last-Subject-Sequence N > 0 on servers before 2.9.21 (nats-server#4320)', async () => {
    const stored = await race(async (round) => {
      const subject = `race.seq.${round}`;
      const first = await publish(racers[0]!, subject, {});
      return { subject, hdrs: () => ({ 'Nats-Expected-Last-Subject-Sequence': String(first.seq) }) };
    });
    const forked = stored.filter((n) => n > 1).length;
    if (isAffected(serverVersion)) expect(forked, `server ${serverVersion}: rounds with more than one winner`).toBeGreaterThan(0);
    else expect(forked, `server ${serverVersion}`).toBe(0);
  });

  it('answers a wrong Nats-Expected-Last-Sequence after the dedupe check, so it can ask "is this id stored?" without writing', async () => {
    await publish(racers[0]!, 'race.probe.a', { 'Nats-Msg-Id': 'probe-1' });
    const hit = await publish(racers[2]!, 'race.probe.b', { 'Nats-Msg-Id': 'probe-1', 'Nats-Expected-Last-Sequence': String(Number.MAX_SAFE_INTEGER) });
    const miss = await publish(racers[2]!, 'race.probe.b', { 'Nats-Msg-Id': 'probe-2', 'Nats-Expected-Last-Sequence': String(Number.MAX_SAFE_INTEGER) });
    expect(hit.duplicate).toBe(true);
    expect(miss.error?.err_code).toBe(10071);
    const info = await jsm.streams.getMessage('RACE', { last_by_subj: 'race.probe.b' }).catch(() => null);
    expect(info).toBeNull();
  });
});
