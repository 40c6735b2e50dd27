import { describe, it } from 'vitest';
import { Account } from '../../../actors/index.js';
import { given } from '../../../src/testing/index.js';

const opened = [{ type: 'AccountOpened', data: { owner: 'Ada' } }] as const;
const funded = [...opened, { type: 'Deposited', data: { amount: 1000 } }, { type: 'Withdrawn', data: { amount: 300 } }] as const;
const closed = [...opened, { type: 'AccountClosed', data: {} }] as const;

// The assertions are `.then(events)` and `.thenRejects(code, reason)`: they reject with an
// AssertionError on any difference (test/unit/testing/given.test.ts shows a wrong expectation fails).
describe('Account', () => {
  describe('OpenAccount', () => {
    it('opens a new account', async () => {
      await given(Account).when('OpenAccount', { owner: 'Ada' }).then([{ type: 'AccountOpened', data: { owner: 'Ada' } }]);
    });
    it('trims the owner name', async () => {
      await given(Account).when('OpenAccount', { owner: '  Ada ' }).then([{ type: 'AccountOpened', data: { owner: 'Ada' } }]);
    });
    it('refuses an empty owner', async () => {
      await given(Account).when('OpenAccount', { owner: '  ' }).thenRejects('invalid');
    });
    it('refuses to open twice', async () => {
      await given(Account, [...opened]).when('OpenAccount', { owner: 'Bob' }).thenRejects('rejected', 'NotAccepted');
    });
  });

  describe('Deposit', () => {
    it('deposits into an open account', async () => {
      await given(Account, [...opened]).when('Deposit', { amount: 250 }).then([{ type: 'Deposited', data: { amount: 250 } }]);
    });
    it('refuses a deposit before the account is opened', async () => {
      await given(Account).when('Deposit', { amount: 250 }).thenRejects('rejected', 'NotAccepted');
    });
    it('refuses a deposit into a closed account', async () => {
      await given(Account, [...closed]).when('Deposit', { amount: 250 }).thenRejects('rejected', 'NotAccepted');
    });
    it.each([0, -5, 1.5])('refuses the amount %s', async (amount) => {
      await given(Account, [...opened]).when('Deposit', { amount }).thenRejects('invalid');
    });
  });

  describe('Withdraw', () => {
    it('withdraws up to the balance', async () => {
      await given(Account, [...funded]).when('Withdraw', { amount: 700 }).then([{ type: 'Withdrawn', data: { amount: 700 } }]);
    });
    it('refuses to overdraw with InsufficientFunds', async () => {
      await given(Account, [...funded]).when('Withdraw', { amount: 701 }).thenRejects('rejected', 'InsufficientFunds');
    });
    it('refuses to withdraw from an account never funded', async () => {
      await given(Account, [...opened]).when('Withdraw', { amount: 1 }).thenRejects('rejected', 'InsufficientFunds');
    });
    it('refuses a withdrawal from a closed account', async () => {
      await given(Account, [...closed]).when('Withdraw', { amount: 1 }).thenRejects('rejected', 'NotAccepted');
    });
    it('refuses a non-positive amount', async () => {
      await given(Account, [...funded]).when('Withdraw', { amount: 0 }).thenRejects('invalid');
    });
  });

  describe('CloseAccount', () => {
    it('closes an account with a zero balance', async () => {
      await given(Account, [...opened, { type: 'Deposited', data: { amount: 5 } }, { type: 'Withdrawn', data: { amount: 5 } }])
        .when('CloseAccount')
        .then([{ type: 'AccountClosed', data: {} }]);
    });
    it('refuses to close an account holding money with BalanceNotZero', async () => {
      await given(Account, [...funded]).when('CloseAccount').thenRejects('rejected', 'BalanceNotZero');
    });
    it('refuses to close twice', async () => {
      await given(Account, [...closed]).when('CloseAccount').thenRejects('rejected', 'NotAccepted');
    });
  });
});
