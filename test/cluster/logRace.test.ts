import { Writable } from 'node:stream';
import { lastValueFrom, toArray } from 'rxjs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../src/errors.js';
import { AlreadyRefusedError } from '../../src/eventLog/alreadyRefusedError.js';
import type { AppendResult, CommandDecision } from '../../src/eventLog/eventLog.js';
import { createNatsEventLog, type NatsEventLog } from '../../src/eventLog/nats/createNatsEventLog.js';
import { serializesSubjectSequence } from '../../src/eventLog/nats/serverVersion.js';
import { startNatsCluster, type NatsCluster } from '../support/natsCluster.js';

// Two log instances entering the cluster at different servers race on the same versions of the
// same aggregates, on an R3 stream. On nats-server 2.9.10 the expected-last-subject-sequence
// check (N > 0) lets several racers through (see primitives.test.ts); the log must not.
const AGGREGATES = 20;
const ROUNDS = 25;

let cluster: NatsCluster;
const logs: NatsEventLog[] = [];
const warnings: Array<{ msg: string; serverVersion?: string }> = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) warnings.push(JSON.parse(line) as { msg: string });
      done();
    },
  });
  const logger = pino({ level: 'warn' }, sink);
  for (const url of [cluster.urls[0]!, cluster.urls[1]!]) {
    logs.push(await createNatsEventLog({ servers: url, stream: 'RACE', prefix: 'race', replicas: 3, logger }));
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(logs.map((l) => l.close()));
  await cluster?.dispose();
});

describe('the JetStream log on a clustered R3 stream', () => {
  it('warns at start-up when the server does not serialise the expected-sequence check', () => {
    const version = logs[0]!.connection.info?.version ?? '';
    const affected = warnings.filter((w) => w.msg.includes('nats-server#4320'));
    expect(affected).toHaveLength(serializesSubjectSequence(version) ? 0 : 2);
  });

  it('lets exactly one of two racing writers commit each version', async () => {
    const ids = Array.from({ length: AGGREGATES }, (_, i) => `a-${i}`);
    const winners: number[] = [];
    await Promise.all(
      ids.map(async (id) => {
        for (let version = 0; version < ROUNDS; version++) {
          const results = await Promise.allSettled(
            logs.map((log, w) =>
              log.append('Acc', id, [{ type: 'Tick', data: { w } }], { expectedVersion: version, commandId: `${id}-${version}-${w}` }),
            ),
          );
          const won = results.filter((r): r is PromiseFulfilledResult<AppendResult> => r.status === 'fulfilled');
          for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrencyError);
          winners.push(won.length);
        }
      }),
    );
    expect(winners).toEqual(Array(AGGREGATES * ROUNDS).fill(1));

    // What every reader sees: one commit per version, from both nodes.
    const commits = await lastValueFrom(logs[1]!.readAll({ live: false }).pipe(toArray()));
    const seen = new Map<string, number[]>();
    for (const c of commits) seen.set(c.id, [...(seen.get(c.id) ?? []), c.version]);
    for (const id of ids) expect(seen.get(id), id).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
    for (const log of logs) {
      const events = await log.readStream('Acc', 'a-0');
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
    }
  });

  it('answers a commandId raced from both nodes with one commit', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        Promise.all(logs.map((log) => log.append('Acc', `d-${i}`, [{ type: 'Tick', data: {} }], { commandId: `same-${i}` }))),
      ),
    );
    for (const pair of results) {
      expect(pair[0]!.position).toBe(pair[1]!.position);
      expect(pair.filter((r) => !r.duplicate)).toHaveLength(1);
    }
  });

  it('decides a commandId raced as a commit on one node and a refusal on the other exactly once', async () => {
    const decided = { commit: 0, refusal: 0 };
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const commandId = `split-${i}`;
        const [appended, refused] = await Promise.allSettled([
          logs[i % 2]!.append('Acc', `s-${i}`, [{ type: 'Tick', data: {} }], { commandId }),
          logs[(i + 1) % 2]!.refuse!('Acc', `s-${i}`, { code: 'rejected', message: 'no' }, { commandId }),
        ]);
        const first = await logs[0]!.firstDecision!(commandId);
        expect(refused.status).toBe('fulfilled');
        const refusal = (refused as PromiseFulfilledResult<CommandDecision>).value;
        if (appended.status === 'fulfilled') {
          // The commit came first: the refusal answers with it, and so does every later question.
          expect(refusal).toEqual({ kind: 'commit', result: { ...appended.value, duplicate: true } });
          expect(first).toEqual(refusal);
          decided.commit += 1;
        } else {
          expect(appended.reason).toBeInstanceOf(AlreadyRefusedError);
          expect(refusal.kind).toBe('refusal');
          expect(first).toEqual(refusal);
          expect(await logs[1]!.readStream('Acc', `s-${i}`)).toEqual([]);
          decided.refusal += 1;
        }
      }),
    );
    expect(decided.commit + decided.refusal).toBe(40);
  });
});
