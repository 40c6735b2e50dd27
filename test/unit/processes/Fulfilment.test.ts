import { describe, expect, it } from 'vitest';
import { createFulfilment } from '../../../actors/index.js';
import type { ProcessCommand } from '../../../src/index.js';
import { givenProcess, type GivenProcessInput } from '../../../src/testing/index.js';

const Fulfilment = createFulfilment({ shipWithin: 60_000 });
const placed: GivenProcessInput = {
  type: 'OrderPlaced',
  aggregate: 'Order',
  id: 'o-1',
  timestamp: 1000,
  data: { accountId: 'a-1', total: 900, items: [{ sku: 'TEA', quantity: 2 }, { sku: 'MUG', quantity: 1 }, { sku: 'TEA', quantity: 1 }] },
};
const reserveTea = { type: 'ReserveStock', aggregate: 'Inventory', id: 'TEA', payload: { order: 'o-1', quantity: 3 } };
const reserveMug = { type: 'ReserveStock', aggregate: 'Inventory', id: 'MUG', payload: { order: 'o-1', quantity: 1 } };
const withdraw = { type: 'Withdraw', aggregate: 'Account', id: 'a-1', payload: { amount: 900 } };
const ok = (command: ProcessCommand): GivenProcessInput => ({ type: 'CommandSucceeded', command });
const reserved = [placed, ok(reserveTea), ok(reserveMug)];
const paid = [...reserved, ok(withdraw)];
const cancel = (reason: string) => ({ type: 'CancelOrder', aggregate: 'Order', id: 'o-1', payload: { reason } });
const releaseTea = { type: 'ReleaseStock', aggregate: 'Inventory', id: 'TEA', payload: { order: 'o-1' } };
const releaseMug = { type: 'ReleaseStock', aggregate: 'Inventory', id: 'MUG', payload: { order: 'o-1' } };
const refund = { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 900 } };
const shipped: GivenProcessInput = { type: 'OrderShipped', aggregate: 'Order', id: 'o-1', data: {}, timestamp: 5000 };

describe('Fulfilment (givenProcess)', () => {
  it('reserves each SKU once, with the quantities summed', async () => {
    await givenProcess(Fulfilment).when(placed).thenSends([reserveTea, reserveMug]);
  });

  it('sets the shipping deadline from the OrderPlaced timestamp', async () => {
    await givenProcess(Fulfilment).when(placed).thenSchedules([{ timer: 'shipWithin', dueAt: 61_000 }]);
  });

  it('takes the payment once every SKU is reserved, not before', async () => {
    await givenProcess(Fulfilment, [placed]).when(ok(reserveTea)).thenSends([]);
    await givenProcess(Fulfilment, [placed, ok(reserveTea)]).when(ok(reserveMug)).thenSends([withdraw]);
  });

  it('waits for the shipment once paid', async () => {
    await givenProcess(Fulfilment, reserved).when(ok(withdraw)).thenState({ active: 'awaitingShipment' }, { paid: true });
  });

  it('is done when the order ships, with its timer cancelled', async () => {
    await givenProcess(Fulfilment, paid).when(shipped).thenState('shipped');
    await givenProcess(Fulfilment, paid).when(shipped).thenSchedules([]);
  });

  it('on InsufficientFunds cancels the order with the reason, then releases the stock', async () => {
    const rejected: GivenProcessInput = { type: 'CommandRejected', command: withdraw, reason: 'InsufficientFunds', message: 'cannot withdraw 900: the balance is 5' };
    await givenProcess(Fulfilment, reserved).when(rejected).thenSends([cancel('InsufficientFunds: cannot withdraw 900: the balance is 5')]);
    const cancelling = [...reserved, rejected];
    await givenProcess(Fulfilment, cancelling).when(ok(cancel('x'))).thenSends([releaseTea, releaseMug]);
    await givenProcess(Fulfilment, cancelling).when(ok(cancel('x'))).thenState('cancelled');
  });

  it('cancels when a SKU is out of stock, once every reservation is answered, releasing the others', async () => {
    const outOfStock: GivenProcessInput = { type: 'CommandRejected', command: reserveTea, reason: 'OutOfStock' };
    await givenProcess(Fulfilment, [placed]).when(outOfStock).thenSends([]);
    await givenProcess(Fulfilment, [placed, outOfStock]).when(ok(reserveMug)).thenSends([cancel('OutOfStock')]);
    await givenProcess(Fulfilment, [placed, outOfStock, ok(reserveMug)]).when(ok(cancel('OutOfStock'))).thenSends([releaseMug]);
  });

  it('when not shipped in time, cancels, then releases and refunds', async () => {
    await givenProcess(Fulfilment, paid).when({ timer: 'shipWithin' }).thenSends([cancel('NotShippedInTime')]);
    await givenProcess(Fulfilment, [...paid, { timer: 'shipWithin' }]).when(ok(cancel('NotShippedInTime'))).thenSends([releaseTea, releaseMug, refund]);
  });

  it('fires the deadline by log time: an event past it comes after the timeout', async () => {
    const late: GivenProcessInput = { ...shipped, timestamp: 61_000 };
    await givenProcess(Fulfilment, paid).when(late).thenSends([cancel('NotShippedInTime')]);
    // The cancel then meets the shipped order: AlreadyShipped ends it as shipped.
    const refused: GivenProcessInput = { type: 'CommandRejected', command: cancel('NotShippedInTime'), reason: 'AlreadyShipped' };
    await givenProcess(Fulfilment, [...paid, late]).when(refused).thenState('shipped');
  });

  it('refunds a payment whose answer arrives after the timeout', async () => {
    const timedOut = [...reserved, { timer: 'shipWithin' } as GivenProcessInput, ok(withdraw)];
    await givenProcess(Fulfilment, timedOut).when(ok(cancel('NotShippedInTime'))).thenSends([releaseTea, releaseMug, refund]);
  });

  it('ignores inputs once done', async () => {
    await givenProcess(Fulfilment, [...paid, shipped]).when({ ...shipped, timestamp: 9000 }).thenSends([]);
  });

  it('a failing specification fails', async () => {
    await expect(givenProcess(Fulfilment).when(placed).thenSends([reserveMug])).rejects.toThrow(/unexpected commands/);
    await expect(givenProcess(Fulfilment).when(placed).thenState('cancelled')).rejects.toThrow(/unexpected state/);
    await expect(givenProcess(Fulfilment).when(placed).thenSchedules([])).rejects.toThrow(/expected timers/);
    await expect(givenProcess(Fulfilment).when({ timer: true }).thenSends([])).rejects.toThrow(/no pending timer/);
  });
});
