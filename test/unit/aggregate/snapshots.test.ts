import { emit, assign, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { Account } from '../../../actors/index.js';
import { createAggregateRegistry } from '../../../src/aggregate/aggregateRegistry.js';
import { createApp, createLmdbEventLog, createLogger, defineAggregate, type AggregateTypes, type CommandResult, type EventLog } from '../../../src/index.js';
import { onCleanup, tempDir } from './support.js';

const commands = { Add: z.object({ n: z.number().int() }) };
const events = { Added: z.object({ n: z.number().int() }) };

function counter(version: string, snapshotEvery?: number) {
  const machine = setup({ types: {} as AggregateTypes<typeof commands, typeof events, { total: number }> }).createMachine({
    version,
    context: { total: 0 },
    on: {
      Add: { actions: emit(({ event }) => ({ type: 'Added', data: { n: event.payload.n } })) },
      Added: { actions: assign({ total: ({ context, event }) => context.total + event.data.n }) },
    },
  });
  return defineAggregate({ name: 'Counter', machine, commands, events, snapshotEvery });
}

// Results without what legitimately differs between two runs (wall-clock timestamps).
function comparable(r: CommandResult) {
  return r.ok ? { ok: true, version: r.version, position: r.position, events: r.events.map(({ timestamp: _t, ...e }) => e) } : r;
}

/** `retry`, when set, re-sends the command id of an earlier step (retry % index). */
type Step = { id: string; type: 'OpenAccount' | 'Deposit' | 'Withdraw' | 'CloseAccount'; amount: number; retry: number | null };

const step: fc.Arbitrary<Step> = fc.record({
  id: fc.constantFrom('a-1', 'a-2'),
  type: fc.constantFrom('OpenAccount', 'Deposit', 'Deposit', 'Withdraw', 'Withdraw', 'CloseAccount'),
  amount: fc.integer({ min: 1, max: 50 }),
  retry: fc.option(fc.nat(), { freq: 3 }),
});

async function run(steps: Step[], snapshotEvery: number | undefined, dataDir: string) {
  const aggregate = { ...Account, snapshotEvery };
  let app = await createApp({ engine: 'embedded', dataDir, aggregates: [aggregate] });
  const results: unknown[] = [];
  for (const [i, s] of steps.entries()) {
    // Restart half-way, so that the second half loads from snapshots (when there are any).
    if (i === Math.floor(steps.length / 2)) {
      await app.close();
      app = await createApp({ engine: 'embedded', dataDir, aggregates: [aggregate] });
    }
    const payload = s.type === 'OpenAccount' ? { owner: s.id } : s.type === 'CloseAccount' ? {} : { amount: s.amount };
    // A retry re-sends an earlier command id, which must get its first result in both runs.
    const commandId = s.retry !== null && i > 0 ? `cmd-${s.retry % i}` : `cmd-${i}`;
    results.push(comparable(await app.send({ type: s.type, aggregate: 'Account', id: s.id, payload, commandId })));
  }
  const states = [await app.state('Account', 'a-1'), await app.state('Account', 'a-2')];
  const snapshot = await app.log.snapshots.load('Account', 'a-1');
  await app.close();
  return { results, states, snapshot };
}

describe('aggregate snapshots', () => {
  it('never change results or state', async () => {
    let snapshotted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (generated) => {
        const opening: Step[] = [
          { id: 'a-1', type: 'OpenAccount', amount: 0, retry: null },
          { id: 'a-2', type: 'OpenAccount', amount: 0, retry: null },
        ];
        const steps = [...opening, ...generated];
        const withSnapshots = await run(steps, 2, tempDir());
        const without = await run(steps, undefined, tempDir());
        expect(withSnapshots.results).toEqual(without.results);
        expect(withSnapshots.states).toEqual(without.states);
        expect(without.snapshot).toBeUndefined();
        if (withSnapshots.snapshot !== undefined) snapshotted++;
      }),
      { numRuns: 15 },
    );
    // The property is only worth something if snapshots were actually taken and loaded.
    expect(snapshotted).toBeGreaterThanOrEqual(3);
  });

  it('carry the recent commits, so a retry after a reload from a snapshot gets its first result', async () => {
    const dataDir = tempDir();
    const aggregates = [{ ...Account, snapshotEvery: 1 }];
    const app = await createApp({ engine: 'embedded', dataDir, aggregates });
    const send = (type: string, payload: unknown, commandId: string) => app.send({ type, aggregate: 'Account', id: 'a-1', payload, commandId });
    await send('OpenAccount', { owner: 'Ada' }, 'open');
    await send('Deposit', { amount: 100 }, 'deposit');
    const first = await send('Withdraw', { amount: 100 }, 'withdraw');
    await app.close();
    const reopened = await createApp({ engine: 'embedded', dataDir, aggregates });
    onCleanup(() => reopened.close());
    expect((await reopened.log.snapshots.load('Account', 'a-1'))?.version).toBe(3);
    // Re-running it now would be InsufficientFunds.
    expect(await reopened.send({ type: 'Withdraw', aggregate: 'Account', id: 'a-1', payload: { amount: 100 }, commandId: 'withdraw' })).toEqual(first);
  });

  it('are taken every snapshotEvery events and used on load', async () => {
    const dataDir = tempDir();
    let app = await createApp({ engine: 'embedded', dataDir, aggregates: [counter('1', 3)] });
    for (let i = 1; i <= 7; i++) await app.send({ type: 'Add', aggregate: 'Counter', id: 'c-1', payload: { n: i } });
    await app.close();
    const log = await createLmdbEventLog({ path: `${dataDir}/log` });
    const saved = await log.snapshots.load('Counter', 'c-1');
    expect(saved).toMatchObject({ version: 6, position: 6 });
    // Tamper with the snapshot: if the next load uses it, the state shows it.
    const tampered = structuredClone(saved!.state) as { machine: { context: { total: number } } };
    tampered.machine.context.total = 1000;
    await log.snapshots.save('Counter', 'c-1', { ...saved!, state: tampered });
    await log.close();
    app = await createApp({ engine: 'embedded', dataDir, aggregates: [counter('1', 3)] });
    onCleanup(() => app.close());
    expect(await app.state('Counter', 'c-1')).toMatchObject({ version: 7, context: { total: 1000 + 7 } });
  });

  it('are ignored when the machine version changed', async () => {
    const dataDir = tempDir();
    const app = await createApp({ engine: 'embedded', dataDir, aggregates: [counter('1', 2)] });
    for (let i = 1; i <= 4; i++) await app.send({ type: 'Add', aggregate: 'Counter', id: 'c-1', payload: { n: i } });
    await app.close();
    const log = await createLmdbEventLog({ path: `${dataDir}/log` });
    const saved = await log.snapshots.load('Counter', 'c-1');
    const tampered = structuredClone(saved!.state) as { machine: { context: { total: number } } };
    tampered.machine.context.total = 1000;
    await log.snapshots.save('Counter', 'c-1', { ...saved!, state: tampered });
    await log.close();
    const upgraded = await createApp({ engine: 'embedded', dataDir, aggregates: [counter('2', 2)] });
    onCleanup(() => upgraded.close());
    expect(await upgraded.state('Counter', 'c-1')).toMatchObject({ version: 4, context: { total: 10 } });
  });

  it('are ignored when malformed, or when they do not fit the machine', async () => {
    for (const state of [{ nonsense: true }, { format: 1, machineVersion: '1', recent: [], machine: { status: 'active', value: 'nowhere', context: {} } }]) {
      const dataDir = tempDir();
      const log = await createLmdbEventLog({ path: `${dataDir}/log` });
      await log.append('Counter', 'c-1', [{ type: 'Added', data: { n: 5 } }], { commandId: 'x' });
      await log.snapshots.save('Counter', 'c-1', { version: 1, position: 1, state });
      await log.close();
      const app = await createApp({ engine: 'embedded', dataDir, aggregates: [counter('1', 2)] });
      onCleanup(() => app.close());
      expect(await app.state('Counter', 'c-1')).toMatchObject({ version: 1, context: { total: 5 } });
      expect(await app.send({ type: 'Add', aggregate: 'Counter', id: 'c-1', payload: { n: 1 } })).toMatchObject({ ok: true, version: 2 });
    }
  });

  it('never fail a command when saving fails', async () => {
    const real = await createLmdbEventLog({ path: tempDir() });
    onCleanup(() => real.close());
    let failures = 0;
    const log: EventLog = {
      ...real,
      snapshots: {
        load: real.snapshots.load,
        save: async () => {
          failures++;
          throw new Error('disk full');
        },
      },
    };
    const registry = createAggregateRegistry({ log, logger: createLogger({ level: 'silent' }) });
    const Counter = counter('1', 1);
    for (let i = 1; i <= 3; i++) {
      expect(await registry.execute(Counter, { type: 'Add', aggregate: 'Counter', id: 'c-1', payload: { n: 1 }, commandId: `c${i}` })).toMatchObject({
        ok: true,
        version: i,
      });
    }
    await registry.close();
    expect(failures).toBe(3);
  });
});
