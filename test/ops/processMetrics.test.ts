import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { createApp, type App } from '../../src/createApp.js';
import { startOpsServer, type OpsServer } from '../../src/observability/opsServer.js';
import { tempDir } from '../projection/support.js';
import { Probe, ProbeTarget } from '../process/probe.js';
import { scrape } from '../support/scrape.js';

let dir: ReturnType<typeof tempDir>;
let app: App;
let ops: OpsServer;

beforeAll(async () => {
  dir = tempDir();
  app = await createApp({ engine: 'embedded', dataDir: dir.dir, aggregates: [ProbeTarget, Account], processes: [Probe] });
  ops = await startOpsServer({ app, listen: '127.0.0.1:0' });
});

afterAll(async () => {
  await ops?.close();
  await app?.close();
  dir?.cleanup();
});

const poke = (id: string, payload: Record<string, unknown>) => app.send({ type: 'Poke', aggregate: 'ProbeTarget', id, payload });

describe('process manager gauges', () => {
  it('report pending timers, halted instances, outbox depth and lag by process', async () => {
    await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    // Two instances wait on timers far in the future, one halts on its input, one sends a deposit.
    await poke('t-1', { wait: 3_600_000 });
    await poke('t-2', { wait: 3_600_000 });
    await poke('bad', { boom: true });
    const last = await poke('ok', { send: { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 1 } } });
    expect(last.ok).toBe(true);
    const probe = app.process(Probe);
    await probe.waitFor(last.ok ? last.position : 0);
    await probe.settled();

    const m = await scrape(ops.url);
    const status = await probe.status();
    expect(m.value('tributary_process_timers_pending', { process: 'Probe' })).toBe(2);
    expect(m.value('tributary_process_halted_instances', { process: 'Probe' })).toBe(1);
    expect(m.value('tributary_process_outbox_commands', { process: 'Probe' })).toBe(0);
    expect(m.value('tributary_process_lag_commits', { process: 'Probe' })).toBe(status.lag);
    for (const name of ['tributary_process_timers_pending', 'tributary_process_halted_instances', 'tributary_process_outbox_commands', 'tributary_process_lag_commits']) {
      expect(m.labels(name).map((l) => l.process)).toEqual(['Probe']);
    }
  });
});
