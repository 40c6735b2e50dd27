import { describe, expect, it } from 'vitest';
import { AWAITING_PREFIX, awaitingKey, ShippingDashboard, shippedKey, SUMMARY_KEY, utcDay } from '../../../projections/index.js';
import { commit, givenCommits, T0 } from '../../projection/support.js';

const DAY = 24 * 3600 * 1000;
const item = (quantity: number, unitPrice: number) => ({ sku: 'S', name: 'N', quantity, unitPrice });

describe('ShippingDashboard', () => {
  it('lists orders awaiting shipment and counts shipments per UTC day', async () => {
    await givenCommits(
      [ShippingDashboard],
      [
        commit('Order', 'o-1', 'OrderCreated', { customerId: 'c-1' }, T0),
        commit('Order', 'o-2', 'OrderCreated', { customerId: 'c-1' }, T0),
        commit('Order', 'o-3', 'OrderCreated', { customerId: 'c-2' }, T0),
        commit('Order', 'o-4', 'OrderCreated', { customerId: 'c-2' }, T0),
        commit('Order', 'o-1', 'ItemAdded', item(2, 100)),
        commit('Order', 'o-2', 'ItemAdded', item(1, 700)),
        commit('Order', 'o-3', 'ItemAdded', item(3, 10)),
        commit('Order', 'o-1', 'OrderShipped', {}, T0 + 1000),
        commit('Order', 'o-2', 'OrderShipped', {}, T0 + DAY),
        commit('Order', 'o-4', 'OrderCancelled', {}),
      ],
      async (projections) => {
        const dashboard = projections.get(ShippingDashboard);
        expect(await dashboard.entries({ prefix: AWAITING_PREFIX })).toEqual([
          { key: awaitingKey('o-3'), value: { orderId: 'o-3', customerId: 'c-2', itemCount: 3, total: 30, createdAt: T0 } },
        ]);
        expect(await dashboard.get(shippedKey('2024-05-01'))).toEqual({ day: '2024-05-01', count: 1, total: 200 });
        expect(await dashboard.get(shippedKey(utcDay(T0 + DAY)))).toEqual({ day: '2024-05-02', count: 1, total: 700 });
        expect(await dashboard.get(SUMMARY_KEY)).toEqual({ awaiting: 1, shipped: 2, cancelled: 1 });
      },
    );
  });

  it('uses the UTC day of the envelope timestamp', () => {
    expect(utcDay(Date.UTC(2024, 4, 1, 23, 59, 59))).toBe('2024-05-01');
    expect(utcDay(Date.UTC(2024, 4, 2, 0, 0, 0))).toBe('2024-05-02');
  });
});
