import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { createApp, type App } from '../../src/createApp.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

// A commandId is decided once: a retry that the aggregate no longer remembers (its recent-command
// memory holds 128 commits) still gets the first answer, from the log, a rejection included.
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openApp(engine: 'embedded' | 'nats'): Promise<{ app: App; reopen: () => Promise<App> }> {
  if (engine === 'embedded') {
    const dataDir = mkdtempSync(join(tmpdir(), 'trib-once-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    // One process writes an embedded log: the other "node" is the next process on the directory.
    let app = await createApp({ engine, dataDir, aggregates: [Account] });
    const first = app;
    cleanups.push(() => app.close());
    const reopen = async () => {
      await app.close();
      app = await createApp({ engine, dataDir, aggregates: [Account] });
      return app;
    };
    return { app: first, reopen };
  }
  const servers = sharedNatsUrl();
  const stream = uniqueName('ONCE');
  cleanups.push(async () => {
    const nc = await connect({ servers });
    const jsm = await jetstreamManager(nc);
    for (const name of [stream, `${stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  });
  const open = async () => {
    const app = await createApp({ engine, servers, stream, prefix: stream.toLowerCase(), aggregates: [Account], serveCommands: false });
    cleanups.push(() => app.close());
    return app;
  };
  return { app: await open(), reopen: open };
}

describe.each(['embedded', 'nats'] as const)('a commandId is decided once (%s)', (engine) => {
  it('a Withdraw retried 130 commits later gets its first result, not a rejection', async () => {
    const { app, reopen } = await openApp(engine);
    const send = (a: App, type: string, payload: object, commandId: string) =>
      a.send({ type, aggregate: 'Account', id: 'acc-1', payload, commandId });
    expect(await send(app, 'OpenAccount', { owner: 'Ada' }, 'open')).toMatchObject({ ok: true });
    expect(await send(app, 'Deposit', { amount: 500 }, 'dep')).toMatchObject({ ok: true });
    const withdraw = await send(app, 'Withdraw', { amount: 500 }, 'wd');
    expect(withdraw).toMatchObject({ ok: true, version: 3 });
    for (let i = 0; i < 130; i++) expect(await send(app, 'Deposit', { amount: 1 }, `d-${i}`)).toMatchObject({ ok: true });

    // Same node, the command long out of the aggregate's memory: the balance (130) would refuse it.
    expect(await send(app, 'Withdraw', { amount: 500 }, 'wd')).toEqual(withdraw);
    // Another node (a cold cache), and an expected version that no longer matches: still the first result.
    const other = await reopen();
    expect(await send(other, 'Withdraw', { amount: 500 }, 'wd')).toEqual(withdraw);
    expect(await other.send({ type: 'Withdraw', aggregate: 'Account', id: 'acc-1', payload: { amount: 500 }, commandId: 'wd', expectedVersion: 2 })).toEqual(
      withdraw,
    );
    // A new command is still decided on the current state.
    expect(await send(other, 'Withdraw', { amount: 500 }, 'wd-2')).toMatchObject({ ok: false, error: { code: 'rejected' } });
    expect(await other.state('Account', 'acc-1')).toMatchObject({ version: 133, context: { balance: 130 } });
  });

  it('a rejected Withdraw retried 130 commits later, on this node or another, gets its first rejection', async () => {
    const { app, reopen } = await openApp(engine);
    const send = (a: App, type: string, payload: object, commandId: string, expectedVersion?: number) =>
      a.send({ type, aggregate: 'Account', id: 'acc-2', payload, commandId, ...(expectedVersion !== undefined && { expectedVersion }) });
    expect(await send(app, 'OpenAccount', { owner: 'Ada' }, 'open')).toMatchObject({ ok: true });
    const refused = await send(app, 'Withdraw', { amount: 500 }, 'wd');
    expect(refused).toMatchObject({ ok: false, error: { code: 'rejected', details: { reason: 'InsufficientFunds' } } });
    for (let i = 0; i < 130; i++) expect(await send(app, 'Deposit', { amount: 10 }, `d-${i}`)).toMatchObject({ ok: true });

    // The balance (1300) would now accept it: the answer is still the first one.
    expect(await send(app, 'Withdraw', { amount: 500 }, 'wd')).toEqual(refused);
    const other = await reopen();
    expect(await send(other, 'Withdraw', { amount: 500 }, 'wd')).toEqual(refused);
    expect(await send(other, 'Withdraw', { amount: 500 }, 'wd', 1)).toEqual(refused);
    // Nothing was applied, and a new commandId is decided on the current state.
    expect(await other.state('Account', 'acc-2')).toMatchObject({ version: 131, context: { balance: 1300 } });
    expect(await send(other, 'Withdraw', { amount: 500 }, 'wd-2')).toMatchObject({ ok: true, version: 132 });
  });
});
