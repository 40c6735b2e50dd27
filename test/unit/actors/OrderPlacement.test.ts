import { describe, it } from 'vitest';
import { Inventory, Order } from '../../../actors/index.js';
import { given, type GivenEvent } from '../../../src/testing/index.js';

// These specs assert through given/when/then: `.then` and `.thenRejects` reject with an
// AssertionError on any difference (test/unit/testing/given.test.ts shows a wrong expectation fails).
type History = GivenEvent<typeof Order>[];
const tea = { sku: 'TEA-1', name: 'Green tea', quantity: 2, unitPrice: 450 };
const mug = { sku: 'MUG-1', name: 'Mug', quantity: 1, unitPrice: 900 };
const created: History = [{ type: 'OrderCreated', data: { customerId: 'cust-1' } }];
const filled: History = [...created, { type: 'ItemAdded', data: tea }, { type: 'ItemAdded', data: mug }];
const placed: History = [...filled, { type: 'OrderPlaced', data: { accountId: 'a-1', total: 1800, items: [{ sku: 'TEA-1', quantity: 2 }, { sku: 'MUG-1', quantity: 1 }] } }];

describe('Order placement', () => {
  it('places a filled order with its total and stock lines', async () => {
    await given(Order, filled)
      .when('PlaceOrder', { accountId: 'a-1' })
      .then([{ type: 'OrderPlaced', data: { accountId: 'a-1', total: 1800, items: [{ sku: 'TEA-1', quantity: 2 }, { sku: 'MUG-1', quantity: 1 }] } }]);
  });
  it('refuses to place an empty order', async () => {
    await given(Order, created).when('PlaceOrder', { accountId: 'a-1' }).thenRejects('rejected', 'EmptyOrder');
  });
  it('a placed order takes no more items and is not placed twice', async () => {
    await given(Order, placed).when('AddItem', tea).thenRejects('rejected', 'AlreadyPlaced');
    await given(Order, placed).when('PlaceOrder', { accountId: 'a-1' }).thenRejects('rejected', 'AlreadyPlaced');
  });
  it('a placed order ships or is cancelled with a reason', async () => {
    await given(Order, placed).when('ShipOrder').then([{ type: 'OrderShipped', data: {} }]);
    await given(Order, placed).when('CancelOrder', { reason: 'OutOfStock' }).then([{ type: 'OrderCancelled', data: { reason: 'OutOfStock' } }]);
  });
  it('a shipped order refuses the cancel: AlreadyShipped', async () => {
    await given(Order, [...placed, { type: 'OrderShipped', data: {} }]).when('CancelOrder', { reason: 'late' }).thenRejects('rejected', 'AlreadyShipped');
  });
});

type Stock = GivenEvent<typeof Inventory>[];
const stocked: Stock = [{ type: 'Restocked', data: { quantity: 5 } }];
const reserved: Stock = [...stocked, { type: 'StockReserved', data: { order: 'o-1', quantity: 3 } }];

describe('Inventory', () => {
  it('reserves what is available, once per order', async () => {
    await given(Inventory, stocked).when('ReserveStock', { order: 'o-1', quantity: 3 }).then([{ type: 'StockReserved', data: { order: 'o-1', quantity: 3 } }]);
    await given(Inventory, reserved).when('ReserveStock', { order: 'o-1', quantity: 1 }).thenRejects('rejected', 'AlreadyReserved');
  });
  it('refuses more than is available: OutOfStock', async () => {
    await given(Inventory, reserved).when('ReserveStock', { order: 'o-2', quantity: 3 }).thenRejects('rejected', 'OutOfStock');
    await given(Inventory).when('ReserveStock', { order: 'o-2', quantity: 1 }).thenRejects('rejected', 'OutOfStock');
  });
  it('releases an order’s reservation, and only one that exists', async () => {
    await given(Inventory, reserved).when('ReleaseStock', { order: 'o-1' }).then([{ type: 'StockReleased', data: { order: 'o-1', quantity: 3 } }]);
    await given(Inventory, [...reserved, { type: 'StockReleased', data: { order: 'o-1', quantity: 3 } }]).when('ReserveStock', { order: 'o-2', quantity: 5 }).then([{ type: 'StockReserved', data: { order: 'o-2', quantity: 5 } }]);
    await given(Inventory, stocked).when('ReleaseStock', { order: 'o-1' }).thenRejects('rejected', 'NoReservation');
  });
  it('refuses a bad quantity: invalid', async () => {
    await given(Inventory).when('Restock', { quantity: 0 }).thenRejects('invalid');
  });
});
