import { describe, expect, it } from 'vitest';
import { customerKey, OrderSummary } from '../../../projections/index.js';
import { commit, givenCommits, T0 } from '../../projection/support.js';

const tea = { sku: 'TEA-1', name: 'Green tea', quantity: 2, unitPrice: 450 };
const mug = { sku: 'MUG-1', name: 'Mug', quantity: 1, unitPrice: 1200 };

describe('OrderSummary', () => {
  it('copies the customer in, computes item count and total, lists product names, records shipping', async () => {
    await givenCommits(
      [OrderSummary],
      [
        commit('Customer', 'c-1', 'CustomerRegistered', { name: 'Ada', email: 'ada@example.org' }),
        commit('Order', 'o-1', 'OrderCreated', { customerId: 'c-1' }, T0 + 10),
        commit('Order', 'o-1', 'ItemAdded', tea),
        commit('Order', 'o-1', 'ItemAdded', mug),
        commit('Order', 'o-1', 'ItemAdded', { ...tea, quantity: 1 }),
        commit('Order', 'o-1', 'OrderShipped', {}, T0 + 5000),
      ],
      async (projections) => {
        expect(await projections.get(OrderSummary).get('o-1')).toEqual({
          kind: 'order',
          orderId: 'o-1',
          customerId: 'c-1',
          customerName: 'Ada',
          customerEmail: 'ada@example.org',
          lines: [tea, mug, { ...tea, quantity: 1 }],
          productNames: ['Green tea', 'Mug'],
          itemCount: 4,
          total: 2 * 450 + 1200 + 450,
          status: 'shipped',
          createdAt: T0 + 10,
          shippedAt: T0 + 5000,
          cancelledAt: null,
          cancelReason: null,
        });
      },
    );
  });

  it("updates every order of a customer when the customer's email changes, and no other", async () => {
    await givenCommits(
      [OrderSummary],
      [
        commit('Customer', 'c-1', 'CustomerRegistered', { name: 'Ada', email: 'ada@old.example' }),
        commit('Customer', 'c-2', 'CustomerRegistered', { name: 'Bob', email: 'bob@example.org' }),
        commit('Order', 'o-1', 'OrderCreated', { customerId: 'c-1' }),
        commit('Order', 'o-2', 'OrderCreated', { customerId: 'c-2' }),
        commit('Order', 'o-3', 'OrderCreated', { customerId: 'c-1' }),
        commit('Customer', 'c-1', 'UserEmailChanged', { email: 'ada@new.example', previousEmail: 'ada@old.example' }),
      ],
      async (projections) => {
        const summary = projections.get(OrderSummary);
        expect((await summary.get('o-1'))).toMatchObject({ customerEmail: 'ada@new.example' });
        expect((await summary.get('o-3'))).toMatchObject({ customerEmail: 'ada@new.example' });
        expect((await summary.get('o-2'))).toMatchObject({ customerEmail: 'bob@example.org' });
        expect(await summary.get(customerKey('c-1'))).toMatchObject({ email: 'ada@new.example' });
        expect((await summary.lookup('byCustomer', 'c-1')).map((e) => e.key)).toEqual(['o-1', 'o-3']);
      },
    );
  });

  it('fills in a customer registered after their order, and records a cancellation', async () => {
    await givenCommits(
      [OrderSummary],
      [
        commit('Order', 'o-1', 'OrderCreated', { customerId: 'c-9' }),
        commit('Order', 'o-1', 'OrderCancelled', { reason: 'changed mind' }, T0 + 60_000),
        commit('Customer', 'c-9', 'CustomerRegistered', { name: 'Cy', email: 'cy@example.org' }),
      ],
      async (projections) => {
        expect(await projections.get(OrderSummary).get('o-1')).toMatchObject({
          customerName: 'Cy',
          customerEmail: 'cy@example.org',
          status: 'cancelled',
          cancelledAt: T0 + 60_000,
          cancelReason: 'changed mind',
          shippedAt: null,
          itemCount: 0,
          total: 0,
        });
      },
    );
  });

  it('sees index changes made earlier in the same batch (order created and email changed in one batch)', async () => {
    // All commits land in one batch: the lookup must include the order written just before.
    await givenCommits(
      [OrderSummary],
      [
        commit('Customer', 'c-1', 'CustomerRegistered', { name: 'Ada', email: 'a@x.example' }),
        commit('Order', 'o-1', 'OrderCreated', { customerId: 'c-1' }),
        commit('Customer', 'c-1', 'UserEmailChanged', { email: 'b@x.example', previousEmail: 'a@x.example' }),
        commit('Order', 'o-2', 'OrderCreated', { customerId: 'c-1' }),
        commit('Customer', 'c-1', 'UserEmailChanged', { email: 'c@x.example', previousEmail: 'b@x.example' }),
      ],
      async (projections) => {
        const summary = projections.get(OrderSummary);
        expect((await summary.lookup('byCustomer', 'c-1')).map((e) => [e.key, (e.value as { customerEmail: string }).customerEmail])).toEqual([
          ['o-1', 'c@x.example'],
          ['o-2', 'c@x.example'],
        ]);
      },
    );
  });
});
