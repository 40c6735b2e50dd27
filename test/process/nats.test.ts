import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, createFulfilment } from '../../actors/index.js';
import { createApp, type NatsApp } from '../../src/createApp.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';
import { Probe, ProbeTarget } from './probe.js';
import { account, AGGREGATES, placeOrder, stock } from './support.js';
import { runCli } from '../support/runCli.js';

let nc: NatsConnection;
const streams: string[] = [];
const apps: NatsApp[] = [];

beforeAll(async () => {
  nc = await connect({ servers: sharedNatsUrl() });
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  const jsm = await jetstreamManager(nc);
  for (const s of streams) for (const name of [s, `${s}_SNAPSHOTS`, `${s}_PROCESSES`]) await jsm.streams.delete(name).catch(() => undefined);
  await nc.close();
});

function natsOptions() {
  const stream = uniqueName('PROC');
  streams.push(stream);
  return { engine: 'nats', servers: sharedNatsUrl(), stream, prefix: stream.toLowerCase() } as const;
}

describe('processes on NATS', () => {
  it('runs the Fulfilment flow with its state in a JetStream journal, and resumes it on another node', async () => {
    const options = { ...natsOptions(), aggregates: AGGREGATES, processes: [createFulfilment({ shipWithin: 60_000 })], processOptions: { ownership: { heartbeat: 100, takeoverAfter: 600 } } };
    const a = await createApp(options);
    apps.push(a);
    await stock(a.send, 'TEA', 5);
    await account(a.send, 'acc-1', 1000);
    await account(a.send, 'acc-2', 100);
    await placeOrder(a.send, 'o-1', 'acc-1', [{ sku: 'TEA', quantity: 2, unitPrice: 300 }]);
    await placeOrder(a.send, 'o-2', 'acc-2', [{ sku: 'TEA', quantity: 1, unitPrice: 300 }]);
    await a.process('Fulfilment').settled();
    expect((await a.process('Fulfilment').state('o-1'))?.value).toEqual({ active: 'awaitingShipment' });
    expect((await a.process('Fulfilment').state('o-2'))?.value).toBe('cancelled');
    const b = await createApp(options);
    apps.push(b);
    expect((await b.process('Fulfilment').status()).state).toBe('standby');
    await a.close();
    await expect.poll(async () => (await b.process('Fulfilment').status()).state, { timeout: 10_000 }).toBe('running');
    const fulfilment = b.process('Fulfilment');
    expect((await fulfilment.state('o-1'))?.value).toEqual({ active: 'awaitingShipment' });
    await b.send({ type: 'ShipOrder', aggregate: 'Order', id: 'o-1', payload: {} });
    await fulfilment.settled();
    expect((await fulfilment.state('o-1'))?.value).toBe('shipped');
    expect((await fulfilment.recordedInputs('o-1')).map((i) => (i.kind === 'event' ? i.event.type : i.kind === 'answer' ? i.answer.type : 'timer'))).toEqual([
      'OrderPlaced',
      'CommandSucceeded',
      'CommandSucceeded',
      'OrderShipped',
    ]);
    expect((await b.state(Account, 'acc-1'))?.context.balance).toBe(400);
    expect(await fulfilment.status()).toMatchObject({ outbox: 0, halted: [], state: 'running' });
    // The CLI asks the node running it.
    const status = await runCli(['status', '--servers', options.servers, '--prefix', options.prefix], { ...process.env, LOG_LEVEL: 'silent' });
    expect(status.stdout, status.stdout).toMatch(/process manager on node .+\n +PROCESS +POSITION +HEAD +LAG +INSTANCES +OUTBOX +TIMERS +HALTED\n +Fulfilment +\d+ +\d+ +0 +2 +0 +0 +0/);
  });

  it('lets only one of two nodes started together run a process', async () => {
    const options = { ...natsOptions(), aggregates: [ProbeTarget, Account], processes: [Probe], processOptions: { ownership: { heartbeat: 100, takeoverAfter: 600 } } };
    const [a, b] = await Promise.all([createApp(options), createApp(options)]);
    apps.push(a, b);
    const states = async () => [(await a.process(Probe).status()).state, (await b.process(Probe).status()).state].sort();
    await expect.poll(states, { timeout: 10_000 }).toEqual(['running', 'standby']);
    // And it stays so: the standby hears the heartbeats and does not take over.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await states()).toEqual(['running', 'standby']);
    const running = (await a.process(Probe).status()).state === 'running' ? a : b;
    await running.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    await running.send({ type: 'Poke', aggregate: 'ProbeTarget', id: 'p-1', payload: { send: { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 3 } } } });
    await running.process(Probe).settled();
    expect((await running.process(Probe).state('p-1'))?.context).toMatchObject({ answers: ['ok Deposit'] });
  });
});
