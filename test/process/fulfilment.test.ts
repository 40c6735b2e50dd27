import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../projection/support.js';
import { account, fulfilmentApp, placeOrder, stock } from './support.js';
import type { App } from '../../src/createApp.js';

let app: App | undefined;
let cleanup: (() => void) | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  cleanup?.();
});

async function open(shipWithin: number) {
  const t = tempDir();
  cleanup = t.cleanup;
  app = await fulfilmentApp(t.dir, shipWithin);
  return app;
}

describe('Fulfilment on the embedded engine', () => {
  it('reserves, pays, and is done when the order ships', async () => {
    const a = await open(60_000);
    await stock(a.send, 'TEA', 5);
    await account(a.send, 'acc-1', 1000);
    await placeOrder(a.send, 'o-1', 'acc-1', [{ sku: 'TEA', quantity: 2, unitPrice: 300 }]);
    const fulfilment = a.process('Fulfilment');
    await fulfilment.settled();
    expect((await fulfilment.state('o-1'))?.value).toEqual({ active: 'awaitingShipment' });
    expect((await a.state('Account', 'acc-1'))?.context).toMatchObject({ balance: 400 });
    expect((await a.state('Inventory', 'TEA'))?.context).toMatchObject({ available: 3, reservations: { 'o-1': 2 } });
    await a.send({ type: 'ShipOrder', aggregate: 'Order', id: 'o-1', payload: {} });
    await fulfilment.settled();
    const done = await fulfilment.state('o-1');
    expect(done).toMatchObject({ value: 'shipped', done: true, timers: [] });
    const status = await fulfilment.status();
    expect(status).toMatchObject({ outbox: 0, timers: 0, halted: [], lag: 0 });
  });

  it('cancels with the reason and releases the stock on InsufficientFunds', async () => {
    const a = await open(60_000);
    await stock(a.send, 'TEA', 5);
    await account(a.send, 'acc-1', 100);
    await placeOrder(a.send, 'o-1', 'acc-1', [{ sku: 'TEA', quantity: 2, unitPrice: 300 }]);
    const fulfilment = a.process('Fulfilment');
    await fulfilment.settled();
    expect((await fulfilment.state('o-1'))?.value).toBe('cancelled');
    const order = await a.state('Order', 'o-1');
    expect(order?.value).toBe('cancelled');
    expect((await a.log.readStream('Order', 'o-1')).at(-1)?.data).toEqual({ reason: 'InsufficientFunds: cannot withdraw 600: the balance is 100' });
    expect((await a.state('Inventory', 'TEA'))?.context).toEqual({ available: 5, reservations: {} });
    expect((await a.state('Account', 'acc-1'))?.context).toMatchObject({ balance: 100 });
  });

  it('cancels, releases and refunds when the order does not ship in time', async () => {
    const a = await open(300);
    await stock(a.send, 'TEA', 5);
    await account(a.send, 'acc-1', 1000);
    const placed = await placeOrder(a.send, 'o-1', 'acc-1', [{ sku: 'TEA', quantity: 2, unitPrice: 300 }]);
    const fulfilment = a.process('Fulfilment');
    await fulfilment.settled();
    expect((await fulfilment.state('o-1'))?.timers).toEqual([{ id: 'xstate.after.shipWithin.Fulfilment.active', dueAt: placed.events[0]!.timestamp + 300 }]);
    await expect.poll(async () => (await fulfilment.state('o-1'))?.value, { timeout: 5000 }).toBe('cancelled');
    await fulfilment.settled();
    expect((await a.state('Order', 'o-1'))?.value).toBe('cancelled');
    expect((await a.state('Inventory', 'TEA'))?.context).toEqual({ available: 5, reservations: {} });
    expect((await a.state('Account', 'acc-1'))?.context).toMatchObject({ balance: 1000 });
    const inputs = await fulfilment.recordedInputs('o-1');
    expect(inputs.filter((i) => i.kind === 'timer')).toHaveLength(1);
  });
});
