import { ValidationError } from '../errors.js';
import { AlreadyRefusedError } from '../eventLog/alreadyRefusedError.js';
import type { Commit, DomainEvent, EventLog } from '../eventLog/eventLog.js';
import type { EventLogFixture } from './describeEventLog.js';
import type { Matchers } from './testRunner.js';

/** How {@link describeDecisions} registers one test on a fresh log. */
export type WithLog = (title: string, body: (f: EventLogFixture) => Promise<void>, timeout?: number) => void;

const ev = (type: string, n: number): DomainEvent => ({ type, data: { n } });

async function commitsNow(log: EventLog, maxBatch?: number): Promise<Commit[]> {
  const out: Commit[] = [];
  for await (const batch of log.readBatches({ live: false, ...(maxBatch !== undefined && { maxBatch }) })) out.push(...batch);
  return out;
}

/**
 * The part of the conformance suite about a commandId's one decision: `firstDecision` and
 * `refuse`. Registered by `describeEventLog`, so every engine runs it.
 *
 * @example
 * ```ts
 * describeDecisions(withLog, expect);
 * ```
 */
export function describeDecisions(withLog: WithLog, expect: (actual: unknown) => Matchers): void {
  withLog('firstDecision gives a commandId\'s first commit without writing, and undefined for an unknown one', async ({ log }) => {
    expect(typeof log.firstDecision).toBe('function');
    const first = await log.append('Account', 'a-1', [ev('Opened', 1)], { expectedVersion: 0, commandId: 'known' });
    await log.append('Account', 'a-1', [ev('Deposited', 2)], { expectedVersion: 1, commandId: 'later' });
    expect(await log.firstDecision!('known')).toEqual({ kind: 'commit', result: { ...first, duplicate: true } });
    expect(await log.firstDecision!('unknown')).toBeUndefined();
    expect(await log.headPosition()).toBe(first.position + 1);
    expect(await log.readStream('Account', 'a-1')).toHaveLength(2);
  });

  withLog('a refusal is a commandId\'s decision: kept, never replaced, and no commit or position', async ({ log }) => {
    expect(typeof log.refuse).toBe('function');
    const opened = await log.append('Account', 'a-1', [ev('Opened', 1)], { expectedVersion: 0, commandId: 'open' });
    const answer = { code: 'rejected', message: 'balance 0 is below 5', details: { reason: 'InsufficientFunds' } };
    const refusal = { aggregate: 'Account', id: 'a-1', commandId: 'wd', timestamp: 42, answer };
    const refused = await log.refuse!('Account', 'a-1', answer, { commandId: 'wd', timestamp: 42 });
    expect(refused).toEqual({ kind: 'refusal', refusal });
    // A second refusal of the same commandId keeps the first one's answer.
    expect(await log.refuse!('Account', 'a-1', { code: 'rejected', message: 'other' }, { commandId: 'wd' })).toEqual(refused);
    expect(await log.firstDecision!('wd')).toEqual(refused);
    // An append with that commandId writes nothing and says so.
    const appended = log.append('Account', 'a-1', [ev('Withdrawn', 5)], { expectedVersion: 1, commandId: 'wd' });
    await expect(appended).rejects.toBeInstanceOf(AlreadyRefusedError);
    await expect(appended.catch((err: AlreadyRefusedError) => err.refusal)).resolves.toEqual(refusal);
    // Refusing a committed commandId answers with the commit.
    expect(await log.refuse!('Account', 'a-1', answer, { commandId: 'open' })).toEqual({ kind: 'commit', result: { ...opened, duplicate: true } });
    // Readers see commits only, and the head is the last commit, so a caught-up reader has no lag.
    expect(await log.readStream('Account', 'a-1')).toHaveLength(1);
    expect(await log.headPosition()).toBe(opened.position);
    expect((await commitsNow(log)).map((c) => c.commandId)).toEqual(['open']);
    const next = await log.append('Account', 'a-1', [ev('Deposited', 2)], { expectedVersion: 1, commandId: 'dep' });
    expect(await log.headPosition()).toBe(next.position);
    expect((await commitsNow(log)).map((c) => [c.commandId, c.version])).toEqual([['open', 1], ['dep', 2]]);
    // More refusals in a row than a batch holds do not stall a reader.
    for (const n of [1, 2, 3]) await log.refuse!('Account', 'a-1', answer, { commandId: `wd-${n}` });
    const last = await log.append('Account', 'a-1', [ev('Deposited', 3)], { expectedVersion: 2, commandId: 'dep-2' });
    expect((await commitsNow(log, 1)).map((c) => c.commandId)).toEqual(['open', 'dep', 'dep-2']);
    const live = log.readBatches({ fromPosition: next.position + 1, maxBatch: 1 })[Symbol.asyncIterator]();
    expect((await live.next()).value?.map((c: Commit) => c.position)).toEqual([last.position]);
    await live.return?.();
  });

  withLog('a refusal survives reopening the log', async (fixture) => {
    await fixture.log.refuse!('Account', 'a-1', 'no', { commandId: 'wd', timestamp: 7 });
    const log = await fixture.reopen();
    expect(await log.firstDecision!('wd')).toEqual({ kind: 'refusal', refusal: { aggregate: 'Account', id: 'a-1', commandId: 'wd', timestamp: 7, answer: 'no' } });
    // The refusal's position is not given again: both engines number the same way.
    const head = await log.headPosition();
    expect((await log.append('Account', 'a-1', [ev('Opened', 1)], { commandId: 'open' })).position).toBe(head + 2);
    await expect(log.refuse!('Account', 'a.b', 'no', { commandId: 'x' })).rejects.toBeInstanceOf(ValidationError);
  });
}
