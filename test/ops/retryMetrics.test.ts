import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { createApp, type App } from '../../src/createApp.js';
import { tempDir } from '../projection/support.js';

let dir: ReturnType<typeof tempDir>;
let app: App;

beforeAll(async () => {
  dir = tempDir();
  app = await createApp({ engine: 'embedded', dataDir: dir.dir, aggregates: [Account] });
});

afterAll(async () => {
  await app?.close();
  dir?.cleanup();
});

const sample = async (name: string): Promise<number> => {
  const metric = (await app.metrics!.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).filter((v) => v.labels.aggregate === 'Account').reduce((sum, v) => sum + v.value, 0);
};

describe('the host reports retries and dedupe hits', () => {
  it('counts one retry when another writer moved the aggregate under a live instance, and a dedupe hit on a repeat', async () => {
    const opened = await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'r-1', payload: { owner: 'Ada' }, commandId: 'open-r-1' });
    expect(opened).toMatchObject({ ok: true, version: 1 });
    // Written past the live instance: its next append conflicts, it catches up and decides again.
    await app.log.append('Account', 'r-1', [{ type: 'Deposited', data: { amount: 5 } }], { expectedVersion: 1, commandId: 'outside' });
    const deposited = await app.send({ type: 'Deposit', aggregate: 'Account', id: 'r-1', payload: { amount: 1 }, commandId: 'dep-r-1' });
    expect(deposited).toMatchObject({ ok: true, version: 3 });
    expect(await sample('tributary_command_retries_total')).toBe(1);
    expect((await app.state(Account, 'r-1'))?.context.balance).toBe(6);

    expect(await sample('tributary_command_dedupe_hits_total')).toBe(0);
    const again = await app.send({ type: 'Deposit', aggregate: 'Account', id: 'r-1', payload: { amount: 1 }, commandId: 'dep-r-1' });
    expect(again).toMatchObject({ ok: true, version: 3 });
    expect(await sample('tributary_command_dedupe_hits_total')).toBe(1);
  });
});
