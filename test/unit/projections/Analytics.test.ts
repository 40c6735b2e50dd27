import { describe, expect, it } from 'vitest';
import { Analytics, dayKey, statusKey } from '../../../projections/index.js';
import { commit, givenCommits, T0 } from '../../projection/support.js';

const DAY = 24 * 3600 * 1000;
const item = (quantity: number, unitPrice: number) => ({ sku: 'S', name: 'N', quantity, unitPrice });

describe('Analytics', () => {
  it('counts orders and revenue per status and per day', async () => {
    await givenCommits(
      [Analytics],
      [
        commit('Order', 'o-1', 'OrderCreated', { customerId: 'c' }, T0),
        commit('Order', 'o-2', 'OrderCreated', { customerId: 'c' }, T0),
        commit('Order', 'o-3', 'OrderCreated', { customerId: 'c' }, T0 + DAY),
        commit('Order', 'o-1', 'ItemAdded', item(2, 500), T0),
        commit('Order', 'o-2', 'ItemAdded', item(1, 300), T0),
        commit('Order', 'o-3', 'ItemAdded', item(4, 25), T0 + DAY),
        commit('Order', 'o-1', 'OrderShipped', {}, T0 + DAY),
        commit('Order', 'o-2', 'OrderCancelled', {}, T0 + DAY),
      ],
      async (projections) => {
        const analytics = projections.get(Analytics);
        expect(await analytics.get(statusKey('open'))).toEqual({ status: 'open', count: 1, revenue: 100 });
        expect(await analytics.get(statusKey('shipped'))).toEqual({ status: 'shipped', count: 1, revenue: 1000 });
        expect(await analytics.get(statusKey('cancelled'))).toEqual({ status: 'cancelled', count: 1, revenue: 300 });
        expect(await analytics.entries({ prefix: 'day/' })).toEqual([
          { key: dayKey('2024-05-01'), value: { day: '2024-05-01', created: 2, shipped: 0, cancelled: 0, revenue: 0, itemsSold: 0 } },
          { key: dayKey('2024-05-02'), value: { day: '2024-05-02', created: 1, shipped: 1, cancelled: 1, revenue: 1000, itemsSold: 2 } },
        ]);
      },
    );
  });
});
