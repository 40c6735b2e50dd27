/**
 * The reference model on its own, with hand-worked examples: it is only worth comparing the
 * system with if it gets the domain right by itself.
 */
import { describe, expect, it } from 'vitest';
import { isEmail, isPhone } from './model/payloads.js';
import { expectedReadState } from './model/readModels.js';
import { emptyWorld, expectedEnvelopes, predict, record, type World } from './model/world.js';

const T = Date.UTC(2024, 4, 1, 23, 59);
const NEXT_DAY = Date.UTC(2024, 4, 2, 0, 1);

function run(world: World, command: Record<string, unknown>, timestamp = T) {
  const p = predict(world, command);
  if (p.kind === 'accepted') {
    const position = world.commits.length + 1;
    record(world, expectedEnvelopes(world, p, { position, timestamp, commandId: String(command.commandId ?? `gen-${position}`) }));
  }
  return p;
}

const cmd = (aggregate: string, id: string, type: string, payload: unknown, extra: Record<string, unknown> = {}) => ({ type, aggregate, id, payload, ...extra });

describe('the reference model', () => {
  it('agrees with the domain on the email and phone pools the arbitraries draw from', () => {
    for (const ok of ['ada@example.org', 'ADA@Example.org', 'grace@example.com', "o'neil@example.ie"]) expect(isEmail(ok)).toBe(true);
    for (const bad of ['not-an-email', 'ada@', 'ada@example', '']) expect(isEmail(bad)).toBe(false);
    for (const ok of ['+4930123456', '+14155550123']) expect(isPhone(ok)).toBe(true);
    for (const bad of ['030123456', '+49 30 123456', '+0123456789']) expect(isPhone(bad)).toBe(false);
  });

  it('decides accounts: never below zero, closed only when empty', () => {
    const w = emptyWorld();
    expect(run(w, cmd('Account', 'a1', 'Deposit', { amount: 5 }))).toEqual({ kind: 'error', code: 'rejected', reason: 'NotAccepted' });
    expect(run(w, cmd('Account', 'a1', 'OpenAccount', { owner: '  Ada ' }))).toMatchObject({ kind: 'accepted', events: [{ type: 'AccountOpened', data: { owner: 'Ada' } }] });
    expect(run(w, cmd('Account', 'a1', 'Deposit', { amount: 5, note: 'x' }))).toMatchObject({ events: [{ data: { amount: 5 } }], version: 2 });
    expect(run(w, cmd('Account', 'a1', 'Withdraw', { amount: 6 }))).toMatchObject({ reason: 'InsufficientFunds' });
    expect(run(w, cmd('Account', 'a1', 'CloseAccount', {}))).toMatchObject({ reason: 'BalanceNotZero' });
    expect(run(w, cmd('Account', 'a1', 'Withdraw', { amount: 2.5 }))).toEqual({ kind: 'error', code: 'invalid' });
    expect(run(w, cmd('Account', 'a1', 'Withdraw', { amount: 5 }, { expectedVersion: 1 }))).toEqual({ kind: 'error', code: 'conflict' });
    expect(run(w, cmd('Account', 'a1', 'Withdraw', { amount: 5 }, { expectedVersion: 2, commandId: 'w1' }))).toMatchObject({ kind: 'accepted', version: 3 });
    // A re-send answers with the first result even though the version moved on.
    expect(run(w, cmd('Account', 'a1', 'Withdraw', { amount: 5 }, { expectedVersion: 2, commandId: 'w1' }))).toMatchObject({ kind: 'duplicate', first: { version: 3, position: 3 } });
    expect(run(w, cmd('Account', 'a1', 'CloseAccount', {}))).toMatchObject({ kind: 'accepted' });
    expect(run(w, cmd('Account', 'a1', 'Deposit', { amount: 1 }))).toMatchObject({ reason: 'NotAccepted' });
    expect(run(w, cmd('Invoice', 'a.1', 'Deposit', { amount: 1 }))).toEqual({ kind: 'error', code: 'unknown_command' });
    expect(run(w, cmd('Account', 'a.1', 'Deposit', { amount: 1 }))).toEqual({ kind: 'error', code: 'invalid' });
    expect(run(w, cmd('Account', 'a1', 'Rename', {}))).toEqual({ kind: 'error', code: 'unknown_command' });
    expect(expectedReadState(w).AccountBalance).toEqual({
      a1: { accountId: 'a1', owner: 'Ada', balance: 0, status: 'closed', openedAt: T, updatedAt: T, closedAt: T },
    });
  });

  it('derives the order views: denormalised customer, counts, totals, days', () => {
    const w = emptyWorld();
    run(w, cmd('Order', 'o1', 'CreateOrder', { customerId: 'c1' }));
    run(w, cmd('Order', 'o1', 'AddItem', { sku: ' TEA ', name: 'Tea', quantity: 2, unitPrice: 300 }));
    run(w, cmd('Order', 'o1', 'AddItem', { sku: 'TEA', name: 'Tea', quantity: 1, unitPrice: 300 }));
    run(w, cmd('Customer', 'c1', 'RegisterCustomer', { name: 'Ada', email: 'ada@example.org' }));
    run(w, cmd('Customer', 'c1', 'ChangeUserEmail', { email: 'ADA@example.org' }));
    run(w, cmd('Customer', 'c1', 'ChangeUserEmail', { email: 'ada@work.example' }));
    expect(run(w, cmd('Order', 'o2', 'ShipOrder', {}))).toMatchObject({ reason: 'NotAccepted' });
    run(w, cmd('Order', 'o2', 'CreateOrder', { customerId: 'c1' }));
    expect(run(w, cmd('Order', 'o2', 'ShipOrder', {}))).toMatchObject({ reason: 'EmptyOrder' });
    run(w, cmd('Order', 'o2', 'CancelOrder', { reason: 'late' }));
    run(w, cmd('Order', 'o1', 'ShipOrder', {}), NEXT_DAY);
    expect(run(w, cmd('Order', 'o1', 'CancelOrder', {}))).toMatchObject({ reason: 'AlreadyShipped' });
    const views = expectedReadState(w);
    expect(views.OrderSummary!.o1).toMatchObject({ customerName: 'Ada', customerEmail: 'ada@work.example', itemCount: 3, total: 900, productNames: ['Tea'], status: 'shipped', shippedAt: NEXT_DAY });
    expect(views.OrderSummary!.o2).toMatchObject({ status: 'cancelled', cancelReason: 'late', itemCount: 0 });
    expect(views.CustomerOrders!.c1).toMatchObject({ orderCount: 2, totalSpent: 900, orders: [{ orderId: 'o1' }, { orderId: 'o2' }] });
    expect(views.ShippingDashboard).toEqual({
      'shipped/2024-05-02': { day: '2024-05-02', count: 1, total: 900 },
      summary: { awaiting: 0, shipped: 1, cancelled: 1 },
    });
    expect(views.Analytics).toMatchObject({
      'status/open': { count: 0, revenue: 0 },
      'status/shipped': { count: 1, revenue: 900 },
      'day/2024-05-01': { created: 2, shipped: 0, cancelled: 1 },
      'day/2024-05-02': { created: 0, shipped: 1, revenue: 900, itemsSold: 3 },
    });
  });
});
