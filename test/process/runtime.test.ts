import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { createApp, type App } from '../../src/createApp.js';
import { createLmdbEventLog } from '../../src/eventLog/lmdb/createLmdbEventLog.js';
import { createLogger } from '../../src/logging/logger.js';
import { createProcesses } from '../../src/process/createProcesses.js';
import { createAggregateRegistry } from '../../src/aggregate/aggregateRegistry.js';
import { createDispatch } from '../../src/commands/dispatch.js';
import { tempDir } from '../projection/support.js';
import { Probe, ProbeTarget } from './probe.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers.length = 0;
});

async function probeApp(): Promise<App> {
  const t = tempDir();
  const app = await createApp({ engine: 'embedded', dataDir: t.dir, aggregates: [ProbeTarget, Account], processes: [Probe], processOptions: { dispatch: { backoff: 5 } } });
  closers.push(t.cleanup, () => app.close());
  return app;
}

const poke = (app: App, id: string, payload: Record<string, unknown>) => app.send({ type: 'Poke', aggregate: 'ProbeTarget', id, payload });

describe('process runtime: answers and bad input', () => {
  it('feeds ok, rejected and failed answers back, and never loops', async () => {
    const app = await probeApp();
    await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    await poke(app, 'p-1', { send: { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 5 } } });
    await poke(app, 'p-1', { send: { type: 'Withdraw', aggregate: 'Account', id: 'a-1', payload: { amount: 500 } } });
    await poke(app, 'p-1', { send: { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: -1 } } });
    await poke(app, 'p-1', { send: { type: 'Deposit', aggregate: 'Nowhere', id: 'x', payload: {} } });
    await poke(app, 'p-1', { send: { type: 'Teleport', aggregate: 'Account', id: 'a-1', payload: {} } });
    const probe = app.process(Probe);
    await probe.settled();
    expect((await probe.state('p-1'))?.context).toMatchObject({ answers: ['ok Deposit', 'rejected InsufficientFunds', 'failed invalid', 'failed unknown_command', 'failed unknown_command'] });
    expect(await probe.status()).toMatchObject({ outbox: 0, halted: [], state: 'running' });
    // Applied exactly once: one deposit of 5.
    expect((await app.state(Account, 'a-1'))?.context.balance).toBe(5);
  });

  it('halts only the instance whose machine throws, parks its inputs, and resumes on retry or skip', async () => {
    const app = await probeApp();
    await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    const deposit = { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 1 } };
    await poke(app, 'bad', { boom: true });
    await poke(app, 'bad', { send: deposit });
    const r = await poke(app, 'good', { send: deposit });
    const probe = app.process(Probe);
    await probe.waitFor(r.ok ? r.position : 0);
    await probe.settled();
    const status = await probe.status();
    expect(status.halted).toEqual([
      expect.objectContaining({ instance: 'bad', parked: 1, input: expect.stringContaining('Poked (ProbeTarget/bad) at position'), error: expect.objectContaining({ code: 'process_halted', message: expect.stringContaining('boom on purpose') }) }),
    ]);
    expect((await probe.state('good'))?.context).toMatchObject({ answers: ['ok Deposit'] });
    // Retry takes the same poison input again: it halts again, still parking the deposit.
    await probe.retry('bad');
    expect((await probe.status()).halted).toHaveLength(1);
    await probe.skip('bad');
    await probe.settled();
    expect((await probe.status()).halted).toEqual([]);
    expect((await probe.state('bad'))?.context).toMatchObject({ answers: ['ok Deposit'] });
    expect((await app.state(Account, 'a-1'))?.context.balance).toBe(2);
    await expect(probe.skip('good')).rejects.toThrow(/not halted/);
  });

  it('retries transport errors with backoff, then halts the instance as stuck until retried', async () => {
    const t = tempDir();
    closers.push(t.cleanup);
    const logger = createLogger();
    const log = await createLmdbEventLog({ path: path.join(t.dir, 'log') });
    closers.push(() => log.close());
    const registry = createAggregateRegistry({ log, logger });
    closers.push(() => registry.close());
    const send = createDispatch({ aggregates: [ProbeTarget, Account], registry, logger });
    let down = true;
    let attempts = 0;
    const flaky: typeof send = (command) => {
      attempts++;
      return down ? Promise.resolve({ ok: false, error: { code: 'timeout', message: 'no reply within 10 ms' } }) : send(command);
    };
    const processes = await createProcesses({ log, path: path.join(t.dir, 'processes'), processes: [Probe], send: flaky, logger, dispatch: { maxAttempts: 3, backoff: 5 } });
    closers.push(() => processes.close());
    await processes.start();
    await send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    await send({ type: 'Poke', aggregate: 'ProbeTarget', id: 'p-1', payload: { send: { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 7 } } } });
    const probe = processes.get(Probe);
    await expect.poll(async () => (await probe.status()).halted.length, { timeout: 5000 }).toBe(1);
    const halted = (await probe.status()).halted[0]!;
    expect(halted).toMatchObject({ instance: 'p-1', stuck: 'Probe/p-1/p2.0/0', error: { code: 'process_halted', message: expect.stringContaining('last error timeout') } });
    expect(attempts).toBe(3);
    expect((await probe.status()).outbox).toBe(1);
    down = false;
    await probe.retry('p-1');
    await probe.settled();
    expect((await probe.state('p-1'))?.context).toMatchObject({ answers: ['ok Deposit'] });
    expect((await registry.state(Account, 'a-1'))?.context).toMatchObject({ balance: 7 });
  });
});

describe('process timers', () => {
  it('a cancelled timer never fires; a set one fires once', async () => {
    const app = await probeApp();
    const probe = app.process(Probe);
    await poke(app, 'p-1', { wait: 150 });
    await poke(app, 'p-1', { cancel: true });
    await poke(app, 'p-2', { wait: 150 });
    await probe.settled();
    await expect.poll(async () => (await probe.state('p-2'))?.context, { timeout: 5000 }).toMatchObject({ fired: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await probe.state('p-1'))?.context).toMatchObject({ fired: 0 });
    expect((await probe.state('p-2'))?.context).toMatchObject({ fired: 1 });
    expect((await probe.status()).timers).toBe(0);
  });
});

describe('process timers across a restart', () => {
  it('a timer due while the app was down fires once after restart; a cancelled one never fires', async () => {
    const t = tempDir();
    closers.push(t.cleanup);
    const open = () => createApp({ engine: 'embedded', dataDir: t.dir, aggregates: [ProbeTarget, Account], processes: [Probe] });
    const first = await open();
    await first.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    const then = { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 10 } };
    await poke(first, 'due', { wait: 200, then });
    await poke(first, 'cancelled', { wait: 200, then });
    await poke(first, 'cancelled', { cancel: true });
    await first.process(Probe).settled();
    expect((await first.process(Probe).status()).timers).toBe(1);
    await first.close();
    await new Promise((r) => setTimeout(r, 400));
    const second = await open();
    closers.push(() => second.close());
    const probe = second.process(Probe);
    await expect.poll(async () => (await probe.state('due'))?.context, { timeout: 5000 }).toMatchObject({ fired: 1 });
    await probe.settled();
    await new Promise((r) => setTimeout(r, 300));
    expect((await probe.state('due'))?.context).toMatchObject({ fired: 1, answers: ['ok Deposit'] });
    expect((await probe.state('cancelled'))?.context).toMatchObject({ fired: 0, answers: [] });
    expect((await probe.recordedInputs('due')).filter((i) => i.kind === 'timer')).toEqual([expect.objectContaining({ kind: 'timer', dueAt: expect.any(Number) })]);
    expect((await second.state(Account, 'a-1'))?.context.balance).toBe(10);
    expect((await probe.status()).timers).toBe(0);
  });
});
