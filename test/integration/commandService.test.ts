import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, Customer, Order } from '../../actors/index.js';
import { decode, encode } from '../../src/codec/msgpack.js';
import type { Command, CommandResult } from '../../src/commands/command.js';
import { createCommandClient, type CommandClient } from '../../src/commands/commandClient.js';
import { createCommandService } from '../../src/commands/commandService.js';
import { createApp, type App, type NatsApp } from '../../src/createApp.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

const aggregates = [Account, Order, Customer];
let servers: string;
let nc: NatsConnection;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  servers = sharedNatsUrl();
  nc = await connect({ servers });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await nc?.close();
});

/** A NATS app on its own stream and prefix, removed after the file. */
async function natsApp(extra: Partial<Parameters<typeof createApp>[0]> = {}): Promise<NatsApp> {
  const stream = uniqueName('CMD');
  const app = await createApp({ engine: 'nats', servers, stream, prefix: stream.toLowerCase(), aggregates, ...extra } as never);
  cleanups.push(async () => {
    await app.close();
    const jsm = await jetstreamManager(nc);
    for (const name of [stream, `${stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
  });
  return app as NatsApp;
}

function clientFor(app: NatsApp, timeout = 5000): CommandClient {
  const client = createCommandClient({ nc, prefix: app.log.prefix, timeout });
  cleanups.push(() => client.close());
  return client;
}

/** A result with the timestamps (the only thing two runs may not share) taken out. */
function comparable(result: CommandResult): unknown {
  if (!result.ok) return result;
  return { ...result, events: result.events.map(({ timestamp: _timestamp, ...rest }) => rest) };
}

const script: Command[] = [
  { type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' }, commandId: 'c-1' },
  { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 100 }, commandId: 'c-2' },
  { type: 'Withdraw', aggregate: 'Account', id: 'a-1', payload: { amount: 500 }, commandId: 'c-3' },
  { type: 'Withdraw', aggregate: 'Account', id: 'a-1', payload: { amount: 30 }, commandId: 'c-4', correlationId: 'corr-1' },
  { type: 'Teleport', aggregate: 'Account', id: 'a-1', payload: {}, commandId: 'c-5' },
  { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: -1 }, commandId: 'c-6' },
  { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 1 }, commandId: 'c-7', expectedVersion: 1 },
  { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 1 }, commandId: 'c-8', expectedVersion: 3 },
  { type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Bob' }, commandId: 'c-9' },
  { type: 'CreateOrder', aggregate: 'Order', id: 'o-1', payload: { customerId: 'cu-1' }, commandId: 'c-10' },
  { type: 'AddItem', aggregate: 'Order', id: 'o-1', payload: { sku: 'TEA', name: 'Green tea', quantity: 2, unitPrice: 450 }, commandId: 'c-11' },
  { type: 'ShipOrder', aggregate: 'Order', id: 'o-1', payload: {}, commandId: 'c-12' },
  { type: 'CancelOrder', aggregate: 'Order', id: 'o-1', payload: {}, commandId: 'c-13' },
  { type: 'RegisterCustomer', aggregate: 'Customer', id: 'cu-1', payload: { name: 'Ada', email: 'ada@example.com' }, commandId: 'c-14' },
  { type: 'ChangeUserEmail', aggregate: 'Customer', id: 'cu-1', payload: { email: 'not an email' }, commandId: 'c-15' },
  { type: 'ChangeUserEmail', aggregate: 'Customer', id: 'cu-1', payload: { email: 'ada@lovelace.org' }, commandId: 'c-16' },
];

describe('commands over NATS', () => {
  it('give the same results as in-process dispatch on the embedded engine', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'trib-'));
    let embedded: App | undefined;
    try {
      embedded = await createApp({ engine: 'embedded', dataDir, aggregates });
      const app = await natsApp();
      const client = clientFor(app);
      const overNats: unknown[] = [];
      const inProcess: unknown[] = [];
      for (const command of script) {
        overNats.push(comparable(await client.send(command)));
        inProcess.push(comparable(await embedded.send(command)));
      }
      expect(overNats).toEqual(inProcess);
      // The script exercises every outcome, so the comparison is not only about successes.
      const codes = overNats.map((r) => ((r as CommandResult).ok ? 'ok' : (r as { error: { code: string } }).error.code));
      expect(new Set(codes)).toEqual(new Set(['ok', 'rejected', 'unknown_command', 'invalid', 'conflict']));
      expect(await app.state(Account, 'a-1')).toEqual(await embedded.state(Account, 'a-1'));
      expect(await app.state(Customer, 'cu-1')).toEqual(await embedded.state(Customer, 'cu-1'));
      const order = await embedded.state(Order, 'o-1');
      expect(await app.state(Order, 'o-1')).toEqual({ ...order, context: { ...order?.context, shippedAt: expect.any(Number) } });
    } finally {
      await embedded?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('answer a repeated commandId with the first result and append it once', async () => {
    const app = await natsApp();
    const client = clientFor(app);
    const open: Command = { type: 'OpenAccount', aggregate: 'Account', id: 'dup', payload: { owner: 'Ada' }, commandId: 'open-dup' };
    const deposit: Command = { type: 'Deposit', aggregate: 'Account', id: 'dup', payload: { amount: 5 }, commandId: 'dep-dup' };
    expect((await client.send(open)).ok).toBe(true);
    const first = await client.send(deposit);
    expect(first).toMatchObject({ ok: true, version: 2 });
    // The state moved on in between: a retry must still get the FIRST result, not run again.
    expect(await client.send({ ...deposit, commandId: 'dep-other' })).toMatchObject({ ok: true, version: 3 });
    const again = await Promise.all([client.send(deposit), client.send(deposit), app.send(deposit)]);
    for (const r of again) expect(r).toEqual(first);
    const events = await app.log.readStream('Account', 'dup');
    expect(events.map((e) => e.commandId)).toEqual(['open-dup', 'dep-dup', 'dep-other']);
    expect(await app.state(Account, 'dup')).toMatchObject({ context: { balance: 10 }, version: 3 });
  });

  it('fill a missing commandId in the client, and aggregate and id from the subject', async () => {
    const app = await natsApp();
    const client = clientFor(app);
    const r = await client.send({ type: 'OpenAccount', aggregate: 'Account', id: 'anon', payload: { owner: 'Ada' } });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.events[0]!.commandId).toMatch(/^[0-9a-f-]{36}$/);
    const raw = await nc.request(`${app.log.prefix}.cmd.Account.anon`, encode({ type: 'Deposit', payload: { amount: 7 }, commandId: 'raw-1' }), {
      timeout: 5000,
    });
    expect(decode(raw.data)).toMatchObject({ ok: true, version: 2, events: [{ type: 'Deposited', aggregate: 'Account', id: 'anon', commandId: 'raw-1' }] });
  });

  it('speak JSON to requests sent with Content-Type: application/json', async () => {
    const app = await natsApp();
    const h = headers();
    h.set('Content-Type', 'application/json');
    const subject = `${app.log.prefix}.cmd.Account.json-1`;
    const body = JSON.stringify({ type: 'OpenAccount', payload: { owner: 'Ada' }, commandId: 'json-open' });
    const reply = await nc.request(subject, body, { timeout: 5000, headers: h });
    expect(reply.headers?.get('Content-Type')).toBe('application/json');
    expect(reply.json()).toMatchObject({ ok: true, version: 1, position: 1, events: [{ type: 'AccountOpened', data: { owner: 'Ada' } }] });
    const bad = await nc.request(subject, '{"type": "Deposit", ', { timeout: 5000, headers: h });
    expect(bad.json()).toMatchObject({ ok: false, error: { code: 'bad_encoding' } });
  });
});

describe('the command service', () => {
  const prefix = (): string => uniqueName('svc').toLowerCase();
  // Stands in for the write side, so that timing is under the test's control; NATS is real.
  const ok = (command: Command): CommandResult => ({ ok: true, version: 1, position: Number(command.id.split('-')[1]), events: [] });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const deposit = (id: string): Command => ({ type: 'Deposit', aggregate: 'Account', id, payload: { amount: 1 } });

  it('runs many requests at once instead of one after the other', async () => {
    const p = prefix();
    let running = 0;
    let peak = 0;
    const service = await createCommandService({
      nc,
      prefix: p,
      aggregates: ['Account'],
      dispatch: async (command) => {
        running += 1;
        peak = Math.max(peak, running);
        await sleep(200);
        running -= 1;
        return ok(command);
      },
    });
    cleanups.push(() => service.stop());
    const client = createCommandClient({ nc, prefix: p });
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.send(deposit(`a-${i + 1}`))));
    expect(results.map((r) => r.ok && r.position)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(peak).toBe(50);
    expect(Date.now() - started).toBeLessThan(2000); // serially it would take 10 s
    await client.close();
  });

  it('stop() lets in-flight commands finish and reply, then takes no more', async () => {
    const p = prefix();
    const service = await createCommandService({
      nc,
      prefix: p,
      aggregates: ['Account'],
      dispatch: async (command) => {
        await sleep(300);
        return ok(command);
      },
    });
    const client = createCommandClient({ nc, prefix: p, timeout: 5000 });
    const sent = Array.from({ length: 20 }, (_, i) => client.send(deposit(`a-${i + 1}`)));
    while (service.inFlight < 20) await sleep(10);
    await service.stop();
    expect(service.inFlight).toBe(0);
    const results = await Promise.all(sent);
    expect(results.every((r) => r.ok)).toBe(true);
    const after = await client.send(deposit('a-99'), { timeout: 300 });
    expect(after).toMatchObject({ ok: false, error: { code: 'unknown_command', details: { noResponders: true } } });
    await client.close();
  });

  it('a client keeps asking while nobody serves, so a service that starts late still gets the command', async () => {
    const p = prefix();
    const client = createCommandClient({ nc, prefix: p, timeout: 5000 });
    const pending = client.send(deposit('a-7'));
    await sleep(300);
    const service = await createCommandService({ nc, prefix: p, aggregates: ['Account'], dispatch: async (c) => ok(c) });
    expect(await pending).toEqual({ ok: true, version: 1, position: 7, events: [] });
    await service.stop();
    await client.close();
  });

  it('a reply that does not come in time is a timeout that says the outcome is unknown', async () => {
    const p = prefix();
    const service = await createCommandService({
      nc,
      prefix: p,
      aggregates: ['Account'],
      dispatch: async (command) => {
        await sleep(600);
        return ok(command);
      },
    });
    const client = createCommandClient({ nc, prefix: p });
    const r = await client.send(deposit('a-1'), { timeout: 150 });
    expect(r).toMatchObject({ ok: false, error: { code: 'timeout' } });
    if (!r.ok) expect(r.error.message).toMatch(/may or may not have run.*same commandId/);
    await service.stop();
    await client.close();
    expect(await client.send(deposit('a-2'))).toMatchObject({ ok: false, error: { code: 'closed' } });
  });

  it('a result too large for the server max_payload becomes an internal error that says the command succeeded', async () => {
    const p = prefix();
    const big = 'x'.repeat(1_100_000);
    const service = await createCommandService({
      nc,
      prefix: p,
      aggregates: ['Account'],
      dispatch: async (c) => (c.id === 'a-3' ? { ...ok(c), events: [{ type: 'Huge', data: big } as never] } : ok(c)),
    });
    const client = createCommandClient({ nc, prefix: p });
    const r = await client.send(deposit('a-3'));
    expect(r).toMatchObject({ ok: false, error: { code: 'internal', details: { version: 1, position: 3 } } });
    if (!r.ok) expect(r.error.message).toMatch(/DID succeed: version 1, position 3/);
    expect(await client.send(deposit('a-4'))).toEqual({ ok: true, version: 1, position: 4, events: [] });
    await service.stop();
    await client.close();
  });

  it('refuses options that cannot work', async () => {
    const dispatch = async (c: Command) => ok(c);
    await expect(createCommandService({ nc, dispatch, aggregates: [] })).rejects.toMatchObject({ code: 'config' });
    await expect(createCommandService({ nc, dispatch, aggregates: ['my.Account'] })).rejects.toMatchObject({ code: 'config' });
    await expect(createCommandService({ nc, dispatch, aggregates: ['Account'], prefix: 'a.*' })).rejects.toMatchObject({ code: 'config' });
    expect(() => createCommandClient({ nc, timeout: 0 })).toThrow(/timeout must be a positive number/);
  });
});
