import { defineProjection, type View } from '../src/index.js';

/**
 * An account's balance (integer cents) and status.
 *
 * @example
 * ```ts
 * const row: AccountBalanceRow | undefined = await projections.get(AccountBalance).get('a-1');
 * ```
 */
export type AccountBalanceRow = {
  accountId: string;
  owner: string;
  balance: number;
  status: 'open' | 'closed';
  openedAt: number;
  updatedAt: number;
  closedAt: number | null;
};

/**
 * The events AccountBalance consumes.
 *
 * @example
 * ```ts
 * const e: DomainEvent<'Deposited', AccountBalanceEvents['Deposited']> = { type: 'Deposited', data: { amount: 500 } };
 * ```
 */
export type AccountBalanceEvents = {
  AccountOpened: { owner: string };
  Deposited: { amount: number };
  Withdrawn: { amount: number };
  AccountClosed: Record<string, never>;
};

function account(view: View<AccountBalanceRow>, id: string): AccountBalanceRow {
  const row = view.get(id);
  if (!row) throw new Error(`no account ${id} in the view`);
  return row;
}

/**
 * AccountBalance: balance and status per account. Key: the account id.
 *
 * @example
 * ```ts
 * const r = await app.send({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 500 } });
 * if (r.ok) console.log((await projections.get(AccountBalance).get('a-1', { minPosition: r.position }))?.balance);
 * ```
 */
export const AccountBalance = defineProjection<AccountBalanceRow, AccountBalanceEvents>({
  name: 'AccountBalance',
  from: ['Account'],
  handlers: {
    AccountOpened: (view, event, envelope) => {
      view.put(envelope.id, {
        accountId: envelope.id,
        owner: event.data.owner,
        balance: 0,
        status: 'open',
        openedAt: envelope.timestamp,
        updatedAt: envelope.timestamp,
        closedAt: null,
      });
    },
    Deposited: (view, event, envelope) => {
      const row = account(view, envelope.id);
      view.put(envelope.id, { ...row, balance: row.balance + event.data.amount, updatedAt: envelope.timestamp });
    },
    Withdrawn: (view, event, envelope) => {
      const row = account(view, envelope.id);
      view.put(envelope.id, { ...row, balance: row.balance - event.data.amount, updatedAt: envelope.timestamp });
    },
    AccountClosed: (view, _event, envelope) => {
      view.put(envelope.id, { ...account(view, envelope.id), status: 'closed', closedAt: envelope.timestamp, updatedAt: envelope.timestamp });
    },
  },
});
