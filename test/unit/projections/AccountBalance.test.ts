import { describe, expect, it } from 'vitest';
import { AccountBalance } from '../../../projections/index.js';
import { commit, givenCommits, T0 } from '../../projection/support.js';

describe('AccountBalance', () => {
  it('keeps the balance and status of each account', async () => {
    await givenCommits(
      [AccountBalance],
      [
        commit('Account', 'a-1', 'AccountOpened', { owner: 'Ada' }, T0),
        commit('Account', 'a-2', 'AccountOpened', { owner: 'Bob' }, T0 + 1),
        commit('Account', 'a-1', 'Deposited', { amount: 1000 }, T0 + 2),
        commit('Account', 'a-1', 'Withdrawn', { amount: 250 }, T0 + 3),
        commit('Account', 'a-2', 'Deposited', { amount: 5 }, T0 + 4),
        commit('Account', 'a-2', 'Withdrawn', { amount: 5 }, T0 + 5),
        commit('Account', 'a-2', 'AccountClosed', {}, T0 + 6),
        // Events of other aggregates are not AccountBalance's business.
        commit('Order', 'a-1', 'Deposited', { amount: 99 }, T0 + 7),
      ],
      async (projections) => {
        const balances = projections.get(AccountBalance);
        expect(await balances.get('a-1')).toEqual({
          accountId: 'a-1', owner: 'Ada', balance: 750, status: 'open', openedAt: T0, updatedAt: T0 + 3, closedAt: null,
        });
        expect(await balances.get('a-2')).toEqual({
          accountId: 'a-2', owner: 'Bob', balance: 0, status: 'closed', openedAt: T0 + 1, updatedAt: T0 + 6, closedAt: T0 + 6,
        });
        expect((await balances.entries()).map((e) => e.key)).toEqual(['a-1', 'a-2']);
      },
    );
  });

  it('applies several events of one commit in order', async () => {
    await givenCommits(
      [AccountBalance],
      [
        {
          aggregate: 'Account',
          id: 'a-1',
          events: [
            { type: 'AccountOpened', data: { owner: 'Ada' } },
            { type: 'Deposited', data: { amount: 10 } },
            { type: 'Deposited', data: { amount: 32 } },
          ],
        },
      ],
      async (projections) => {
        expect((await projections.get(AccountBalance).get('a-1'))?.balance).toBe(42);
      },
    );
  });
});
