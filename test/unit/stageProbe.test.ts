import { describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { createAggregateRegistry } from '../../src/aggregate/aggregateRegistry.js';
import { createDispatch } from '../../src/commands/dispatch.js';
import { createLmdbEventLog } from '../../src/eventLog/lmdb/createLmdbEventLog.js';
import { createLogger } from '../../src/index.js';
import type { StageProbe, WriteStage } from '../../src/logging/stageProbe.js';
import { onCleanup, tempDir } from './aggregate/support.js';

// A probe that counts calls per stage and records which stage is running inside which.
function countingProbe() {
  const calls = new Map<WriteStage, number>();
  const nested = new Set<string>();
  const running: WriteStage[] = [];
  const probe: StageProbe = {
    wrap(stage, fn) {
      return ((...args: never[]) => {
        calls.set(stage, (calls.get(stage) ?? 0) + 1);
        if (running.length > 0) nested.add(`${running[running.length - 1]}>${stage}`);
        running.push(stage);
        try {
          return fn(...args);
        } finally {
          running.pop();
        }
      }) as typeof fn;
    },
  };
  return { probe, calls, nested };
}

describe('stage probe (the bench budget wiring)', () => {
  it('sees every stage of an accepted command once, and leaves results unchanged', async () => {
    const { probe, calls, nested } = countingProbe();
    const logger = createLogger({ level: 'silent' });
    const log = await createLmdbEventLog({ path: tempDir(), probe });
    const registry = createAggregateRegistry({ log, logger, probe });
    onCleanup(async () => {
      await registry.close();
      await log.close();
    });
    const send = probe.wrap('validate', createDispatch({ aggregates: [Account], registry: { ...registry, execute: probe.wrap('route', registry.execute) }, logger }));
    const opened = await send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' }, commandId: 'c-1' });
    expect(opened).toMatchObject({ ok: true, version: 1, position: 1 });
    for (const stage of ['validate', 'route', 'decide', 'encode', 'evolve', 'reply'] as const) expect(calls.get(stage), stage).toBe(1);
    // append: the call, its transaction callback and its settling.
    expect(calls.get('append')).toBe(3);
    calls.clear();
    nested.clear();
    // With the instance live, the command runs synchronously up to the append, inside route.
    const deposited = await send({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 5 }, commandId: 'c-2' });
    expect(deposited).toMatchObject({ ok: true, version: 2, position: 2 });
    // Nested stages are what the budget subtracts from their callers.
    expect([...nested].sort()).toEqual(['append>encode', 'reply>evolve', 'route>append', 'route>decide', 'validate>route']);
    const refused = await send({ type: 'Withdraw', aggregate: 'Account', id: 'a-1', payload: { amount: 50 }, commandId: 'c-3' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'rejected' } });
    expect(calls.get('decide')).toBe(2);
    expect(calls.get('encode')).toBe(1);
  });
});
