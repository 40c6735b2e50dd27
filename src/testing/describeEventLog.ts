import { firstValueFrom, take, toArray } from 'rxjs';
import { ConcurrencyError, ValidationError } from '../errors.js';
import type { Commit, DomainEvent, EventLog } from '../eventLog/eventLog.js';
import { describeDecisions } from './describeDecisions.js';
import type { TestRunner } from './testRunner.js';

/**
 * A log under test, with a way to close and reopen it on the same storage.
 *
 * @example
 * ```ts
 * const fixture: EventLogFixture = { log, reopen: async () => (log = await open()), cleanup: () => log.close() };
 * ```
 */
export type EventLogFixture = {
  log: EventLog;
  /** Closes the current log and opens a new one on the same storage. */
  reopen(): Promise<EventLog>;
  /** Closes whatever is open and removes the storage. */
  cleanup(): Promise<void>;
};

/**
 * The event log conformance suite: every engine runs exactly these tests, so "the same semantics"
 * is checked, not promised. Each test gets a fresh fixture. The tests are registered with the
 * `describe`, `it` and `expect` you pass, so that this module imports no test runner.
 *
 * @example
 * ```ts
 * import { describe, expect, it } from 'vitest';
 *
 * describeEventLog('lmdb', async () => {
 *   const dir = mkdtempSync(join(tmpdir(), 'log-'));
 *   let log = await createLmdbEventLog({ path: dir });
 *   return {
 *     get log() { return log; },
 *     reopen: async () => { await log.close(); return (log = await createLmdbEventLog({ path: dir })); },
 *     cleanup: async () => { await log.close(); rmSync(dir, { recursive: true, force: true }); },
 *   };
 * }, { describe, it, expect });
 * ```
 */
export function describeEventLog(name: string, makeLog: () => Promise<EventLogFixture>, runner: TestRunner): void {
  const { describe, it, expect } = runner;
  const ev = (type: string, n: number): DomainEvent => ({ type, data: { n } });

  const withLog = (title: string, body: (f: EventLogFixture) => Promise<void>, timeout?: number) =>
    it(
      title,
      async () => {
        const fixture = await makeLog();
        try {
          await body(fixture);
        } finally {
          await fixture.cleanup();
        }
      },
      timeout,
    );

  const readAllNow = (log: EventLog, fromPosition = 1): Promise<Commit[]> =>
    firstValueFrom(log.readAll({ fromPosition, live: false }).pipe(toArray()));

  describe(`EventLog conformance: ${name}`, () => {
    withLog('appends commits and reads a stream back in version order', async ({ log }) => {
      const r1 = await log.append('Account', 'a-1', [ev('Opened', 1)], { expectedVersion: 0, commandId: 'c1' });
      const r2 = await log.append('Account', 'a-2', [ev('Opened', 2)], { expectedVersion: 0, commandId: 'c2' });
      const r3 = await log.append('Account', 'a-1', [ev('Deposited', 3), ev('Deposited', 4)], {
        expectedVersion: 1,
        commandId: 'c3',
        correlationId: 'corr',
      });
      expect([r1.version, r2.version, r3.version]).toEqual([1, 1, 3]);
      expect(r1.position).toBeLessThan(r2.position);
      expect(r2.position).toBeLessThan(r3.position);
      expect(r3.duplicate).toBe(false);
      expect(r3.events.map((e) => [e.type, e.version, e.position, e.correlationId, e.causationId])).toEqual([
        ['Deposited', 2, r3.position, 'corr', 'c3'],
        ['Deposited', 3, r3.position, 'corr', 'c3'],
      ]);

      const stream = await log.readStream('Account', 'a-1');
      expect(stream.map((e) => [e.type, e.version, (e.data as { n: number }).n])).toEqual([
        ['Opened', 1, 1],
        ['Deposited', 2, 3],
        ['Deposited', 3, 4],
      ]);
      expect(stream.every((e) => e.aggregate === 'Account' && e.id === 'a-1')).toBe(true);
      expect(new Set(stream.map((e) => e.eventId)).size).toBe(3);
      // fromVersion in the middle of a two-event commit
      expect((await log.readStream('Account', 'a-1', { fromVersion: 3 })).map((e) => e.version)).toEqual([3]);
      // toVersion: up to and including it, also in the middle of a commit
      expect((await log.readStream('Account', 'a-1', { toVersion: 2 })).map((e) => e.version)).toEqual([1, 2]);
      expect((await log.readStream('Account', 'a-1', { fromVersion: 2, toVersion: 3 })).map((e) => e.version)).toEqual([2, 3]);
      expect((await log.readStream('Account', 'a-1', { fromVersion: 1, toVersion: 1 })).map((e) => e.version)).toEqual([1]);
      expect(await log.readStream('Account', 'a-1', { fromVersion: 3, toVersion: 2 })).toEqual([]);
      await expect(log.readStream('Account', 'a-1', { toVersion: 1.5 })).rejects.toMatchObject({ code: 'invalid' });
      expect(await log.readStream('Account', 'nobody')).toEqual([]);
      expect(await log.headPosition()).toBe(r3.position);
    });

    withLog('readAll delivers every commit once, in position order, with contiguous positions', async ({ log }) => {
      for (let i = 0; i < 25; i++) {
        await log.append('Order', `o-${i % 5}`, [ev('E', i)], { commandId: `c-${i}` });
      }
      const all = await readAllNow(log);
      expect(all).toHaveLength(25);
      const first = all[0]!.position;
      expect(all.map((c) => c.position)).toEqual(Array.from({ length: 25 }, (_, i) => first + i));
      expect(all.map((c) => (c.events[0]!.data as { n: number }).n)).toEqual(Array.from({ length: 25 }, (_, i) => i));
      const tail = await readAllNow(log, first + 20);
      expect(tail.map((c) => c.position)).toEqual([20, 21, 22, 23, 24].map((i) => first + i));
    });

    withLog('an expected-version mismatch throws ConcurrencyError and writes nothing', async ({ log }) => {
      await log.append('Account', 'a-1', [ev('Opened', 1)], { expectedVersion: 0, commandId: 'c1' });
      const head = await log.headPosition();
      for (const expectedVersion of [0, 2, 7]) {
        await expect(
          log.append('Account', 'a-1', [ev('Deposited', 2)], { expectedVersion, commandId: `bad-${expectedVersion}` }),
        ).rejects.toBeInstanceOf(ConcurrencyError);
      }
      expect(await log.headPosition()).toBe(head);
      expect((await log.readStream('Account', 'a-1')).map((e) => e.type)).toEqual(['Opened']);
      // The refused command ids were not recorded: they may be used for a real append.
      const ok = await log.append('Account', 'a-1', [ev('Deposited', 3)], { expectedVersion: 1, commandId: 'bad-0' });
      expect(ok).toMatchObject({ version: 2, duplicate: false });
    });

    withLog('the same commandId again returns the first result and writes nothing', async ({ log }) => {
      const first = await log.append('Account', 'a-1', [ev('Opened', 1), ev('Deposited', 2)], {
        expectedVersion: 0,
        commandId: 'same',
      });
      const again = await log.append('Account', 'a-1', [ev('SomethingElse', 9)], { commandId: 'same' });
      expect(again.duplicate).toBe(true);
      expect(again.version).toBe(first.version);
      expect(again.position).toBe(first.position);
      expect(again.events.map((e) => [e.type, e.version, e.eventId])).toEqual(
        first.events.map((e) => [e.type, e.version, e.eventId]),
      );
      // Even with a stale expected version, a duplicate is a duplicate, not a conflict.
      const stale = await log.append('Account', 'a-1', [ev('Opened', 1)], { expectedVersion: 0, commandId: 'same' });
      expect(stale.position).toBe(first.position);
      expect(await log.headPosition()).toBe(first.position);
      expect(await log.readStream('Account', 'a-1')).toHaveLength(2);
    });

    describeDecisions(withLog, runner.expect);

    withLog('readAll catches up, then goes live, with no gap or duplicate at the seam', async ({ log }) => {
      for (let i = 0; i < 30; i++) await log.append('Account', `a-${i % 3}`, [ev('E', i)], { commandId: `pre-${i}` });
      const total = 80;
      const received = firstValueFrom(log.readAll({ fromPosition: 1 }).pipe(take(total), toArray()));
      // Appends race with the catch-up read.
      await Promise.all(
        Array.from({ length: total - 30 }, (_, i) =>
          log.append('Account', `b-${i % 7}`, [ev('E', 30 + i)], { commandId: `live-${i}` }),
        ),
      );
      const commits = await received;
      const positions = commits.map((c) => c.position);
      expect(positions).toEqual(Array.from({ length: total }, (_, i) => positions[0]! + i));
      expect(new Set(commits.map((c) => c.commandId)).size).toBe(total);
    });

    withLog('readBatches honours maxBatch, live: false and an abort while waiting', async ({ log }) => {
      for (let i = 0; i < 10; i++) await log.append('Account', 'a-1', [ev('E', i)], { commandId: `c-${i}` });
      const sizes: number[] = [];
      for await (const batch of log.readBatches({ maxBatch: 4, live: false })) sizes.push(batch.length);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(4);

      const abort = new AbortController();
      const seen: number[] = [];
      const reading = (async () => {
        for await (const batch of log.readBatches({ fromPosition: 1, signal: abort.signal })) {
          seen.push(...batch.map((c) => c.position));
        }
      })();
      while (seen.length < 10) await new Promise((r) => setTimeout(r, 5));
      const started = Date.now();
      abort.abort();
      await reading;
      expect(Date.now() - started).toBeLessThan(2000);
      expect(seen).toHaveLength(10);
    });

    withLog('a reopened log keeps every commit, the versions and the command ids', async (fixture) => {
      const first = await fixture.log.append('Account', 'a-1', [ev('Opened', 1)], { expectedVersion: 0, commandId: 'c1' });
      await fixture.log.append('Account', 'a-1', [ev('Deposited', 2)], { expectedVersion: 1, commandId: 'c2' });
      await fixture.log.snapshots.save('Account', 'a-1', { version: 2, position: 2, state: { balance: 2 } });
      const log = await fixture.reopen();
      expect((await log.readStream('Account', 'a-1')).map((e) => e.version)).toEqual([1, 2]);
      expect((await readAllNow(log)).length).toBe(2);
      await expect(
        log.append('Account', 'a-1', [ev('Deposited', 3)], { expectedVersion: 1, commandId: 'c3' }),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      expect((await log.append('Account', 'a-1', [ev('X', 0)], { commandId: 'c1' })).position).toBe(first.position);
      expect(await log.snapshots.load('Account', 'a-1')).toEqual({ version: 2, position: 2, state: { balance: 2 } });
      const r = await log.append('Account', 'a-1', [ev('Deposited', 3)], { expectedVersion: 2, commandId: 'c3' });
      expect(r.version).toBe(3);
    });

    withLog('racing writers on one aggregate: exactly one wins, the others conflict', async ({ log }) => {
      await log.append('Account', 'race', [ev('Opened', 0)], { expectedVersion: 0, commandId: 'open' });
      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          log.append('Account', 'race', [ev('Deposited', i)], { expectedVersion: 1, commandId: `w-${i}` }),
        ),
      );
      const won = attempts.filter((a) => a.status === 'fulfilled');
      const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(7);
      for (const l of lost) expect(l.reason).toBeInstanceOf(ConcurrencyError);
      expect((await log.readStream('Account', 'race')).map((e) => e.version)).toEqual([1, 2]);
    });

    withLog('many aggregates appended concurrently all land, each with its own versions', async ({ log }) => {
      const n = 200;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          log.append('Account', `p-${i % 20}`, [ev('E', i)], { commandId: `k-${i}` }),
        ),
      );
      expect(new Set(results.map((r) => r.position)).size).toBe(n);
      const commits = await readAllNow(log);
      expect(commits).toHaveLength(n);
      for (let a = 0; a < 20; a++) {
        expect((await log.readStream('Account', `p-${a}`)).map((e) => e.version)).toEqual(
          Array.from({ length: n / 20 }, (_, i) => i + 1),
        );
      }
    });

    withLog('bad input is refused with ValidationError before anything is written', async ({ log }) => {
      const bad: Array<[string, string, DomainEvent[]]> = [
        ['Account', 'a.b', [ev('E', 1)]],
        ['Account', '*', [ev('E', 1)]],
        ['Account', '>', [ev('E', 1)]],
        ['Account', 'has space', [ev('E', 1)]],
        ['Account', '', [ev('E', 1)]],
        ['Account', 'x'.repeat(129), [ev('E', 1)]],
        ['Acc.ount', 'ok', [ev('E', 1)]],
        ['Account', 'ok', []],
      ];
      for (const [aggregate, id, events] of bad) {
        await expect(log.append(aggregate, id, events, { commandId: `c-${aggregate}-${id}` })).rejects.toBeInstanceOf(
          ValidationError,
        );
      }
      expect(await log.headPosition()).toBe(0);
    });

    withLog('snapshots: load of a missing one is undefined, save then load round-trips', async ({ log }) => {
      expect(await log.snapshots.load('Account', 'none')).toBeUndefined();
      const snap = { version: 3, position: 9, state: { value: 'open', context: { balance: 5, tags: ['a'] } } };
      await log.snapshots.save('Account', 's-1', snap);
      expect(await log.snapshots.load('Account', 's-1')).toEqual(snap);
      await log.snapshots.save('Account', 's-1', { ...snap, version: 4 });
      expect((await log.snapshots.load('Account', 's-1'))?.version).toBe(4);
    });
  });
}
