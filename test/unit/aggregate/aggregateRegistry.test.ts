import type { StandardSchemaV1 } from '@standard-schema/spec';
import { emit, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { Account } from '../../../actors/index.js';
import { createAggregateRegistry } from '../../../src/aggregate/aggregateRegistry.js';
import { ConfigError, createLmdbEventLog, createLogger, defineAggregate, type AggregateTypes, type CommandMessage, type CommandResult } from '../../../src/index.js';
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

  it('runs different instances in parallel and one instance serially', async () => {
    // An async event schema that holds each command of instance g-1 until the gate opens.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated: StandardSchemaV1<{ id: string }> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async (value) => {
          if ((value as { id: string }).id === 'g-1') await gate;
          return { value: value as { id: string } };
        },
      },
    };
    const commands = { Go: gated };
    const events = { Went: gated };
    const machine = setup({ types: {} as AggregateTypes<typeof commands, typeof events, object> }).createMachine({
      on: { Go: { actions: emit(({ event }) => ({ type: 'Went', data: { id: event.id } })) } },
    });
    const Gated = defineAggregate({ name: 'Gated', machine, commands, events });
    const registry = await openRegistry(100);
    const go = (id: string): Promise<CommandResult> =>
      registry.execute(Gated, { type: 'Go', aggregate: 'Gated', id, payload: { id }, commandId: `go-${id}-${++seq}` });
    const order: string[] = [];
    const first = go('g-1').then((r) => order.push(`g-1:${r.ok && r.version}`));
    const second = go('g-1').then((r) => order.push(`g-1:${r.ok && r.version}`));
    await go('g-2').then((r) => order.push(`g-2:${r.ok && r.version}`));
    expect(order).toEqual(['g-2:1']);
    open();
    await Promise.all([first, second]);
    expect(order).toEqual(['g-2:1', 'g-1:1', 'g-1:2']);
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
