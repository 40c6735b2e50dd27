import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Account, Order } from '../../../actors/index.js';
import { createAggregateRegistry } from '../../../src/aggregate/aggregateRegistry.js';
import { createLmdbEventLog, createLogger, type CommandMessage, type EventLog } from '../../../src/index.js';
import { onCleanup, openApp, tempDir } from './support.js';

const logger = createLogger({ level: 'silent' });

function account(id: string, type: string, payload: unknown = {}, commandId: string = randomUUID()) {
  return { type, aggregate: 'Account', id, payload, commandId };
}

async function openLog(): Promise<EventLog> {
  const log = await createLmdbEventLog({ path: tempDir() });
  onCleanup(() => log.close());
  return log;
}

// Two registries on one log are two writers, as two nodes would be: the log they share must not
// claim to be the only writer.
async function openSharedLog(): Promise<EventLog> {
  return { ...(await openLog()), exclusiveWriter: false };
}

// Counts the stream reads, to tell whether the host re-read the log before answering.
function countingReads(log: EventLog): { log: EventLog; reads: () => number } {
  let reads = 0;
  return {
    log: {
      ...log,
      readStream(aggregate, id, options) {
        reads++;
        return log.readStream(aggregate, id, options);
      },
    },
    reads: () => reads,
  };
}

describe('aggregate host (AggregateActor) on the LMDB log', () => {
  it('runs one instance\'s commands one at a time, in the order sent', async () => {
    const app = await openApp();
    await app.send(account('a-1', 'OpenAccount', { owner: 'Ada' }));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => app.send(account('a-1', 'Deposit', { amount: i + 1 }))));
    expect(results.map((r) => (r.ok ? r.version : r.error.code))).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
    expect(results.map((r) => (r.ok ? r.events[0]?.data : undefined))).toEqual(Array.from({ length: 200 }, (_, i) => ({ amount: i + 1 })));
    expect((await app.state(Account, 'a-1'))?.context.balance).toBe((200 * 201) / 2);
  });

  it('appends one commit per command, and evolves only after the append', async () => {
    const app = await openApp();
    const r = await app.send({ type: 'Twice', aggregate: 'Lab', id: 'l-1', payload: {} });
    expect(r).toMatchObject({ ok: false, error: { code: 'rejected', details: { reason: 'NotAccepted' } } });
    await app.send({ type: 'Start', aggregate: 'Lab', id: 'l-1', payload: {} });
    const twice = await app.send({ type: 'Twice', aggregate: 'Lab', id: 'l-1', payload: {}, commandId: 'twice' });
    // The stored rejection took position 1, which no reader sees.
    expect(twice).toMatchObject({ ok: true, version: 3, position: 3 });
    if (!twice.ok) return;
    expect(twice.events.map((e) => [e.type, e.version, e.position, e.eventId, e.causationId])).toEqual([
      ['Added', 2, 3, 'twice/0', 'twice'],
      ['Added', 3, 3, 'twice/1', 'twice'],
    ]);
    expect((await app.state('Lab', 'l-1'))?.context).toEqual({ total: 3 });
    expect(await app.log.headPosition()).toBe(3);
  });

  it('answers a repeated commandId with the first result, writing nothing, even after the state changed', async () => {
    const app = await openApp();
    await app.send(account('a-1', 'OpenAccount', { owner: 'Ada' }));
    await app.send(account('a-1', 'Deposit', { amount: 100 }));
    const first = await app.send(account('a-1', 'Withdraw', { amount: 100 }, 'withdraw-1'));
    expect(first).toMatchObject({ ok: true, version: 3 });
    const head = await app.log.headPosition();
    // A plain re-run would now be InsufficientFunds: the retry must get the first result.
    const retry = await app.send(account('a-1', 'Withdraw', { amount: 100 }, 'withdraw-1'));
    expect(retry).toEqual(first);
    expect(await app.log.headPosition()).toBe(head);
    expect((await app.state(Account, 'a-1'))?.context.balance).toBe(0);
  });

  it('still recognises a repeated commandId after a restart', async () => {
    const dir = tempDir();
    const app = await openApp(dir);
    await app.send(account('a-1', 'OpenAccount', { owner: 'Ada' }));
    await app.send(account('a-1', 'Deposit', { amount: 100 }));
    const first = await app.send(account('a-1', 'Withdraw', { amount: 100 }, 'withdraw-1'));
    await app.close();
    const reopened = await openApp(dir);
    expect(await reopened.send(account('a-1', 'Withdraw', { amount: 100 }, 'withdraw-1'))).toEqual(first);
    expect(await reopened.log.headPosition()).toBe(3);
  });

  it('falls back on the log\'s dedupe for a commandId older than the window', async () => {
    const app = await openApp(tempDir(), { dedupeWindow: 2 });
    await app.send(account('a-1', 'OpenAccount', { owner: 'Ada' }));
    const first = await app.send(account('a-1', 'Deposit', { amount: 5 }, 'old'));
    for (let i = 0; i < 3; i++) await app.send(account('a-1', 'Deposit', { amount: 1 }));
    const retry = await app.send(account('a-1', 'Deposit', { amount: 5 }, 'old'));
    expect(retry).toEqual(first);
    expect(await app.log.headPosition()).toBe(5);
    expect(await app.state(Account, 'a-1')).toMatchObject({ version: 5, context: { balance: 8 } });
  });

  it('refuses a command whose expectedVersion differs, at once and writing nothing', async () => {
    const app = await openApp();
    await app.send(account('a-1', 'OpenAccount', { owner: 'Ada' }));
    const stale = await app.send({ ...account('a-1', 'Deposit', { amount: 5 }), expectedVersion: 0 });
    expect(stale).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: 'Account a-1: expected version 0, but it is at version 1', details: { expectedVersion: 0, actualVersion: 1 } },
    });
    expect(await app.log.headPosition()).toBe(1);
    expect(await app.send({ ...account('a-1', 'Deposit', { amount: 5 }), expectedVersion: 1 })).toMatchObject({ ok: true, version: 2 });
  });

  it('accepts a command that emits nothing without writing, at the current version and position', async () => {
    const app = await openApp();
    await app.send({ type: 'Start', aggregate: 'Lab', id: 'l-1', payload: {} });
    await app.send({ type: 'Add', aggregate: 'Lab', id: 'l-1', payload: { n: 2 } });
    await app.send(account('a-1', 'OpenAccount', { owner: 'Ada' }));
    expect(await app.send({ type: 'Nothing', aggregate: 'Lab', id: 'l-1', payload: {} })).toEqual({ ok: true, version: 2, position: 2, events: [] });
    expect(await app.log.headPosition()).toBe(3);
  });

  it('reloads and retries when another writer got there first', async () => {
    const log = await openSharedLog();
    const nodeA = createAggregateRegistry({ log, logger });
    const nodeB = createAggregateRegistry({ log, logger });
    const msg = (type: string, payload: unknown): CommandMessage => ({ type, aggregate: 'Account', id: 'a-1', payload, commandId: randomUUID() });
    expect(await nodeA.execute(Account, msg('OpenAccount', { owner: 'Ada' }))).toMatchObject({ ok: true, version: 1 });
    expect(await nodeB.execute(Account, msg('Deposit', { amount: 10 }))).toMatchObject({ ok: true, version: 2 });
    // Node A still holds version 1 with a zero balance: it must not refuse on that stale state.
    expect(await nodeA.execute(Account, msg('Withdraw', { amount: 7 }))).toMatchObject({ ok: true, version: 3 });
    expect(await nodeB.execute(Account, msg('Deposit', { amount: 1 }))).toMatchObject({ ok: true, version: 4 });
    // Node A holds version 3 now: its append conflicts, it catches up and retries.
    expect(await nodeA.execute(Account, msg('Deposit', { amount: 2 }))).toMatchObject({ ok: true, version: 5 });
    expect(await nodeB.state(Account, 'a-1')).toMatchObject({ version: 5, context: { balance: 6 } });
    expect(await nodeA.state(Account, 'a-1')).toMatchObject({ version: 5, context: { balance: 6 } });
    await Promise.all([nodeA.close(), nodeB.close()]);
  });

  it('gives up with conflict after maxAttempts when other writers keep winning', async () => {
    const log = await openLog();
    let attempts = 0;
    // A real second writer that always commits just before this node's append.
    const contended: EventLog = {
      ...log,
      async append(aggregate, id, events, options) {
        if (options.commandId === 'contended') {
          attempts++;
          await log.append(aggregate, id, [{ type: 'Deposited', data: { amount: 1 } }], { commandId: randomUUID() });
        }
        return log.append(aggregate, id, events, options);
      },
    };
    const registry = createAggregateRegistry({ log: contended, logger, maxAttempts: 4 });
    await registry.execute(Account, { type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' }, commandId: 'open' });
    const r = await registry.execute(Account, { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 5 }, commandId: 'contended' });
    expect(r).toMatchObject({ ok: false, error: { code: 'conflict', details: { attempts: 4 } } });
    expect(attempts).toBe(4);
    expect(await registry.state(Account, 'a-1')).toMatchObject({ version: 5, context: { balance: 4 } });
    await registry.close();
  });

  it('does not retry a command that carries expectedVersion', async () => {
    const log = await openSharedLog();
    const nodeA = createAggregateRegistry({ log, logger });
    const nodeB = createAggregateRegistry({ log, logger });
    await nodeA.execute(Account, { type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' }, commandId: 'o' });
    await nodeB.execute(Account, { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 1 }, commandId: 'd1' });
    const r = await nodeA.execute(Account, { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 1 }, commandId: 'd2', expectedVersion: 1 });
    expect(r).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await log.headPosition()).toBe(2);
    await Promise.all([nodeA.close(), nodeB.close()]);
  });

  it('re-reads the stream before a refusal or a state read only when the log may have other writers', async () => {
    for (const exclusiveWriter of [true, false]) {
      const counted = countingReads({ ...(await openLog()), exclusiveWriter });
      const registry = createAggregateRegistry({ log: counted.log, logger });
      await registry.execute(Account, account('a-1', 'OpenAccount', { owner: 'Ada' }));
      const loaded = counted.reads();
      expect(await registry.execute(Account, account('a-1', 'Withdraw', { amount: 5 }))).toMatchObject({
        ok: false,
        error: { code: 'rejected', details: { reason: 'InsufficientFunds' } },
      });
      expect(await registry.state(Account, 'a-1')).toMatchObject({ version: 1, context: { balance: 0 } });
      expect(counted.reads() - loaded).toBe(exclusiveWriter ? 0 : 2);
      await registry.close();
    }
  });

  it('drains a long queue of commands that are answered without waiting, without overflowing the stack', async () => {
    // Without `refuse`, a rejection is answered from memory: stored ones each wait for a write.
    const registry = createAggregateRegistry({ log: { ...(await openLog()), exclusiveWriter: true, refuse: undefined }, logger });
    await registry.execute(Account, account('a-1', 'OpenAccount', { owner: 'Ada' }));
    // The deposit waits for its append; every withdrawal queued behind it is refused on the spot.
    const deposit = registry.execute(Account, account('a-1', 'Deposit', { amount: 5 }));
    const refusals = Array.from({ length: 30_000 }, () => registry.execute(Account, account('a-1', 'Withdraw', { amount: 6 })));
    expect(await deposit).toMatchObject({ ok: true, version: 2 });
    const results = await Promise.all(refusals);
    expect(results.filter((r) => !r.ok && r.error.details?.reason === 'InsufficientFunds')).toHaveLength(30_000);
    expect(await registry.state(Account, 'a-1')).toMatchObject({ version: 2, context: { balance: 5 } });
    await registry.close();
  });

  it('keeps a command whose event transition fails after the append, then reports the broken aggregate', async () => {
    const app = await openApp();
    await app.send({ type: 'Start', aggregate: 'Lab', id: 'l-1', payload: {} });
    expect(await app.send({ type: 'Poison', aggregate: 'Lab', id: 'l-1', payload: {} })).toMatchObject({ ok: true, version: 2 });
    const next = await app.send({ type: 'Add', aggregate: 'Lab', id: 'l-1', payload: { n: 1 } });
    expect(next).toMatchObject({ ok: false, error: { code: 'internal' } });
    if (!next.ok) expect(next.error.message).toMatch(/event transition Poisoned \(version 2\) failed: poisoned/);
    expect(await app.log.headPosition()).toBe(2);
  });

  it('reads state from the write model, with timestamps from the envelopes', async () => {
    const app = await openApp();
    expect(await app.state(Order, 'o-1')).toBeUndefined();
    await app.send({ type: 'CreateOrder', aggregate: 'Order', id: 'o-1', payload: { customerId: 'c-1' } });
    await app.send({ type: 'AddItem', aggregate: 'Order', id: 'o-1', payload: { sku: 'TEA', name: 'Tea', quantity: 1, unitPrice: 300 } });
    const shipped = await app.send({ type: 'ShipOrder', aggregate: 'Order', id: 'o-1', payload: {} });
    expect(shipped.ok).toBe(true);
    const state = await app.state(Order, 'o-1');
    expect(state).toEqual({
      value: 'shipped',
      version: 3,
      context: { customerId: 'c-1', items: [{ sku: 'TEA', name: 'Tea', quantity: 1, unitPrice: 300 }], shippedAt: shipped.ok ? shipped.events[0]!.timestamp : -1, cancelledAt: null },
    });
  });

  it('finishes in-flight commands on close, and refuses new ones', async () => {
    const dir = tempDir();
    const app = await openApp(dir);
    await app.send(account('a-1', 'OpenAccount', { owner: 'Ada' }));
    const inflight = Array.from({ length: 100 }, () => app.send(account('a-1', 'Deposit', { amount: 1 })));
    const closing = app.close();
    expect(await app.send(account('a-1', 'Deposit', { amount: 1 }))).toMatchObject({ ok: false, error: { code: 'closed' } });
    const results = await Promise.all(inflight);
    await closing;
    expect(results.every((r) => r.ok)).toBe(true);
    const reopened = await openApp(dir);
    expect(await reopened.state(Account, 'a-1')).toMatchObject({ version: 101, context: { balance: 100 } });
  });
});
