import { describe, it } from 'vitest';
import { Order } from '../../../actors/index.js';
import { given, type GivenEvent } from '../../../src/testing/index.js';

type History = GivenEvent<typeof Order>[];
const tea = { sku: 'TEA-1', name: 'Green tea', quantity: 2, unitPrice: 450 };
const created: History = [{ type: 'OrderCreated', data: { customerId: 'cust-1' } }];
const withItem: History = [...created, { type: 'ItemAdded', data: tea }];
const shipped: History = [...withItem, { type: 'OrderShipped', data: {}, timestamp: 1_700_000_000_000 }];
const cancelled: History = [...withItem, { type: 'OrderCancelled', data: { reason: 'changed my mind' } }];

// The assertions are `.then(events)` and `.thenRejects(code, reason)`: they reject with an
// AssertionError on any difference (test/unit/testing/given.test.ts shows a wrong expectation fails).
describe('Order', () => {
  describe('CreateOrder', () => {
    it('creates an order for a customer', async () => {
      await given(Order).when('CreateOrder', { customerId: 'cust-1' }).then([{ type: 'OrderCreated', data: { customerId: 'cust-1' } }]);
    });
    it('refuses a missing customer', async () => {
      await given(Order).when('CreateOrder', { customerId: '' }).thenRejects('invalid');
    });
    it('refuses to create an order twice', async () => {
      await given(Order, created).when('CreateOrder', { customerId: 'cust-2' }).thenRejects('rejected', 'NotAccepted');
    });
  });

  describe('AddItem', () => {
    it('adds an item to an open order', async () => {
      await given(Order, created).when('AddItem', tea).then([{ type: 'ItemAdded', data: tea }]);
    });
    it('refuses an item before the order exists', async () => {
      await given(Order).when('AddItem', tea).thenRejects('rejected', 'NotAccepted');
    });
    it.each([
      ['a zero quantity', { ...tea, quantity: 0 }],
      ['a negative price', { ...tea, unitPrice: -1 }],
      ['a fractional price', { ...tea, unitPrice: 4.5 }],
      ['an empty sku', { ...tea, sku: '' }],
    ])('refuses %s', async (_what, item) => {
      await given(Order, created).when('AddItem', item).thenRejects('invalid');
    });
    it('refuses to add to a shipped order with AlreadyShipped', async () => {
      await given(Order, shipped).when('AddItem', tea).thenRejects('rejected', 'AlreadyShipped');
    });
    it('refuses to add to a cancelled order with OrderCancelled', async () => {
      await given(Order, cancelled).when('AddItem', tea).thenRejects('rejected', 'OrderCancelled');
    });
  });

  describe('ShipOrder', () => {
    it('ships an order with items', async () => {
      await given(Order, withItem).when('ShipOrder').then([{ type: 'OrderShipped', data: {} }]);
    });
    it('refuses to ship an empty order with EmptyOrder', async () => {
      await given(Order, created).when('ShipOrder').thenRejects('rejected', 'EmptyOrder');
    });
    it('refuses to ship twice with AlreadyShipped', async () => {
      await given(Order, shipped).when('ShipOrder').thenRejects('rejected', 'AlreadyShipped');
    });
    it('refuses to ship a cancelled order with OrderCancelled', async () => {
      await given(Order, cancelled).when('ShipOrder').thenRejects('rejected', 'OrderCancelled');
    });
  });

  describe('CancelOrder', () => {
    it('cancels an open order, with a reason', async () => {
      await given(Order, withItem)
        .when('CancelOrder', { reason: 'changed my mind' })
        .then([{ type: 'OrderCancelled', data: { reason: 'changed my mind' } }]);
    });
    it('cancels an open order without a reason', async () => {
      await given(Order, created).when('CancelOrder').then([{ type: 'OrderCancelled', data: {} }]);
    });
    it('refuses to cancel a shipped order with AlreadyShipped', async () => {
      await given(Order, shipped).when('CancelOrder', {}).thenRejects('rejected', 'AlreadyShipped');
    });
    it('refuses to cancel twice with OrderCancelled', async () => {
      await given(Order, cancelled).when('CancelOrder', {}).thenRejects('rejected', 'OrderCancelled');
    });
    it('refuses to cancel an order that does not exist', async () => {
      await given(Order).when('CancelOrder', {}).thenRejects('rejected', 'NotAccepted');
    });
  });
});
