import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate, reject, type AggregateTypes } from '../src/index.js';

/** Amounts are integer cents, so sums stay exact. */
const amount = z.number().int().positive().max(1_000_000_000_00);

const commands = {
  OpenAccount: z.object({ owner: z.string().trim().min(1).max(200) }),
  Deposit: z.object({ amount }),
  Withdraw: z.object({ amount }),
  CloseAccount: z.object({}),
};

const events = {
  AccountOpened: z.object({ owner: z.string() }),
  Deposited: z.object({ amount }),
  Withdrawn: z.object({ amount }),
  AccountClosed: z.object({}),
};

type Context = { owner: string; balance: number };

const machine = setup({
  types: {} as AggregateTypes<typeof commands, typeof events, Context>,
}).createMachine({
  id: 'Account',
  context: { owner: '', balance: 0 },
  initial: 'new',
  states: {
    new: {
      on: {
        OpenAccount: { actions: emit(({ event }) => ({ type: 'AccountOpened', data: { owner: event.payload.owner } })) },
        AccountOpened: { target: 'open', actions: assign({ owner: ({ event }) => event.data.owner }) },
      },
    },
    open: {
      on: {
        Deposit: { actions: emit(({ event }) => ({ type: 'Deposited', data: { amount: event.payload.amount } })) },
        Withdraw: [
          {
            guard: ({ context, event }) => event.payload.amount <= context.balance,
            actions: emit(({ event }) => ({ type: 'Withdrawn', data: { amount: event.payload.amount } })),
          },
          {
            actions: reject(
              'InsufficientFunds',
              ({ context, event }) => `cannot withdraw ${event.payload.amount}: the balance is ${context.balance}`,
            ),
          },
        ],
        CloseAccount: [
          { guard: ({ context }) => context.balance === 0, actions: emit({ type: 'AccountClosed', data: {} }) },
          { actions: reject('BalanceNotZero', ({ context }) => `cannot close an account holding ${context.balance}; withdraw it first`) },
        ],
        Deposited: { actions: assign({ balance: ({ context, event }) => context.balance + event.data.amount }) },
        Withdrawn: { actions: assign({ balance: ({ context, event }) => context.balance - event.data.amount }) },
        AccountClosed: { target: 'closed' },
      },
    },
    closed: {},
  },
});

/**
 * A bank account: OpenAccount, then Deposit and Withdraw (never below zero: `InsufficientFunds`),
 * and CloseAccount once the balance is zero (`BalanceNotZero` otherwise). Amounts are cents.
 *
 * @example
 * ```ts
 * await app.send({ type: 'Withdraw', aggregate: 'Account', id: 'a-1', payload: { amount: 500 } });
 * ```
 */
export const Account = defineAggregate({ name: 'Account', machine, commands, events });
