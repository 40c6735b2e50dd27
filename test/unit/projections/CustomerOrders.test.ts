import { describe, expect, it } from 'vitest';
import { CustomerOrders } from '../../../projections/index.js';
import { commit, givenCommits, T0 } from '../../projection/support.js';

const item = (quantity: number, unitPrice: number) => ({ sku: 'S', name: 'N', quantity, unitPrice });

describe('CustomerOrders', () => {
  it("lists each customer's orders with their status and totals", async () => {
    await givenCommits(
      [CustomerOrders],
      [
        commit('Customer', 'c-1', 'CustomerRegistered', { name: 'Ada', email: 'ada@example.org' }),
        commit('Order', 'o-1', 'OrderCreated', { customerId: 'c-1' }, T0 + 1),
        commit('Order', 'o-2', 'OrderCreated', { customerId: 'c-1' }, T0 + 2),
        commit('Order', 'o-3', 'OrderCreated', { customerId: 'c-2' }, T0 + 3),
        commit('Order', 'o-1', 'ItemAdded', item(2, 300)),
        commit('Order', 'o-2', 'ItemAdded', item(1, 50)),
        commit('Order', 'o-3', 'ItemAdded', item(5, 10)),
        commit('Order', 'o-1', 'OrderShipped', {}),
        commit('Order', 'o-2', 'OrderCancelled', {}),
        commit('Customer', 'c-1', 'UserEmailChanged', { email: 'ada@new.example', previousEmail: 'ada@example.org' }),
      ],
      async (projections) => {
        const view = projections.get(CustomerOrders);
        expect(await view.get('c-1')).toEqual({
          customerId: 'c-1',
          name: 'Ada',
          email: 'ada@new.example',
          orders: [
            { orderId: 'o-1', status: 'shipped', itemCount: 2, total: 600, createdAt: T0 + 1 },
            { orderId: 'o-2', status: 'cancelled', itemCount: 1, total: 50, createdAt: T0 + 2 },
          ],
          orderCount: 2,
          totalSpent: 600,
        });
        // An order placed before its customer registered is kept, with the name unknown.
        expect(await view.get('c-2')).toMatchObject({ name: null, orderCount: 1, orders: [{ orderId: 'o-3', itemCount: 5, total: 50, status: 'open' }] });
        expect((await view.lookup('byOrder', 'o-2')).map((e) => e.key)).toEqual(['c-1']);
      },
    );
  });
});
