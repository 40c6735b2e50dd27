import { describe, expect, it } from 'vitest';
import { Account } from '../../../actors/index.js';
import { createAggregateRegistry } from '../../../src/aggregate/aggregateRegistry.js';
import { ConfigError, createLmdbEventLog, createLogger, type CommandMessage } from '../../../src/index.js';
import { onCleanup, tempDir } from './support.js';

const logger = createLogger({ level: 'silent' });
let seq = 0;
const msg = (id: string, type: string, payload: unknown): CommandMessage => ({ type, aggregate: 'Account', id, payload, commandId: `cmd-${++seq}` });

async function openRegistry(maxActors: number) {
  const log = await createLmdbEventLog({ path: tempDir() });
  onCleanup(() => log.close());
  const registry = createAggregateRegistry({ log, logger, maxActors });
  onCleanup(() => registry.close());
  return registry;
}

describe('aggregate registry', () => {
  it('keeps at most maxActors live, however many ids are touched, and reloads evicted ones', async () => {
    const registry = await openRegistry(10);
    for (let i = 0; i < 300; i++) {
      await registry.execute(Account, msg(`a-${i}`, 'OpenAccount', { owner: `o-${i}` }));
      await registry.execute(Account, msg(`a-${i}`, 'Deposit', { amount: i + 1 }));
      expect(registry.size).toBeLessThanOrEqual(10);
    }
    for (const i of [0, 150, 299]) {
      expect(await registry.state(Account, `a-${i}`)).toMatchObject({ version: 2, context: { owner: `o-${i}`, balance: i + 1 } });
    }
    expect(await registry.execute(Account, msg('a-0', 'Withdraw', { amount: 1 }))).toMatchObject({ ok: true, version: 3 });
  });

  it('creates one actor for concurrent first commands to a new id', async () => {
    const registry = await openRegistry(100);
    const results = await Promise.all([
      registry.execute(Account, msg('new-1', 'OpenAccount', { owner: 'Ada' })),
      ...Array.from({ length: 20 }, () => registry.execute(Account, msg('new-1', 'Deposit', { amount: 1 }))),
    ]);
    expect(results.map((r) => (r.ok ? r.version : r.error.message))).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(registry.size).toBe(1);
  });

  it('never evicts an actor with queued work', async () => {
    const registry = await openRegistry(1);
    const ids = ['x-1', 'x-2', 'x-3', 'x-4', 'x-5'];
    const results = await Promise.all(
      ids.flatMap((id) => [
        registry.execute(Account, msg(id, 'OpenAccount', { owner: id })),
        ...Array.from({ length: 10 }, () => registry.execute(Account, msg(id, 'Deposit', { amount: 2 }))),
      ]),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    for (const id of ids) expect(await registry.state(Account, id)).toMatchObject({ version: 11, context: { balance: 20 } });
    expect(registry.size).toBe(1);
  });

  it.each([
    ['maxActors', { maxActors: 0 }],
    ['maxAttempts', { maxAttempts: 1.5 }],
    ['dedupeWindow', { dedupeWindow: -1 }],
  ])('refuses an invalid %s', async (_name, options) => {
    const log = await createLmdbEventLog({ path: tempDir() });
    onCleanup(() => log.close());
    expect(() => createAggregateRegistry({ log, logger, ...options })).toThrow(ConfigError);
  });
});
