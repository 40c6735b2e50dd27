import type { App } from '../../createApp.js';
import type { Command } from '../../commands/command.js';
import { createPrng } from '../../testing/prng.js';
import { runWindowed } from '../../testing/runWindowed.js';
import type { Check } from './demoVerify.js';
import { count, plural } from './textFormat.js';

type Line = { readonly sku: string; readonly name: string; readonly quantity: number; readonly unitPrice: number };

/**
 * One order of the fulfilment phase: what it holds, what its account holds, whether the
 * warehouse ships it once it is paid, and the outcome the model expects.
 *
 * @example
 * ```ts
 * const o: FulfilmentOrder = { id: 'ful-00001', accountId: 'fac-00001', balance: 5000, lines, ships: true, expected: { status: 'shipped' } };
 * ```
 */
export type FulfilmentOrder = {
  readonly id: string;
  readonly accountId: string;
  readonly balance: number;
  readonly lines: readonly Line[];
  readonly ships: boolean;
  readonly expected: { readonly status: 'shipped' | 'cancelled'; readonly reason?: string };
};

/**
 * The fulfilment phase of the demo: stock, accounts and orders from a seed, and what a plain-JS
 * restatement of the Fulfilment rules says must come of them.
 *
 * @example
 * ```ts
 * const w = createFulfilmentWorkload({ orders: 300, seed: 1 });
 * ```
 */
export type FulfilmentWorkload = {
  readonly stock: ReadonlyMap<string, number>;
  readonly orders: readonly FulfilmentOrder[];
  /** SKU → stock expected at the end, and the orders holding a reservation. */
  readonly expectedStock: ReadonlyMap<string, { available: number; reservations: number }>;
};

const SKUS = ['TEA-GRN', 'TEA-BLK', 'MUG-WHT', 'POT-CLY', 'CUP-SET', 'HON-JAR'];
// Never in stock: an order holding it is cancelled OutOfStock.
const SCARCE = 'SAF-001';
const pad = (n: number) => String(n).padStart(5, '0');

/**
 * Generates the phase and its expected outcome. Orders never compete: plentiful SKUs cannot run
 * out, the scarce one never has stock, and each order pays from its own account, so the model
 * does not depend on the order in which the process's commands interleave.
 *
 * @example
 * ```ts
 * const w = createFulfilmentWorkload({ orders: 20, seed: 3 });
 * console.log(w.orders.filter((o) => o.expected.status === 'shipped').length);
 * ```
 */
export function createFulfilmentWorkload(options: { readonly orders: number; readonly seed: number }): FulfilmentWorkload {
  const rand = createPrng(options.seed ^ 0x5eed);
  const stock = new Map<string, number>(SKUS.map((s) => [s, 1_000_000]));
  const expectedStock = new Map<string, { available: number; reservations: number }>([...stock].map(([s, n]) => [s, { available: n, reservations: 0 }]));
  expectedStock.set(SCARCE, { available: 0, reservations: 0 });
  const orders: FulfilmentOrder[] = [];
  for (let n = 1; n <= options.orders; n++) {
    const lines: Line[] = [];
    for (let i = rand.int(1, 3); i > 0; i--) {
      const sku = rand.chance(0.08) ? SCARCE : rand.pick(SKUS);
      lines.push({ sku, name: sku, quantity: rand.int(1, 5), unitPrice: rand.int(100, 5000) });
    }
    const total = lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0);
    const balance = rand.chance(0.2) ? rand.int(0, total - 1) : total + rand.int(0, 10_000);
    const ships = rand.chance(0.7);
    const quantities = new Map<string, number>();
    for (const l of lines) quantities.set(l.sku, (quantities.get(l.sku) ?? 0) + l.quantity);
    let expected: FulfilmentOrder['expected'];
    if (quantities.has(SCARCE)) expected = { status: 'cancelled', reason: 'OutOfStock' };
    else if (balance < total) expected = { status: 'cancelled', reason: `InsufficientFunds: cannot withdraw ${total}: the balance is ${balance}` };
    else if (ships) {
      expected = { status: 'shipped' };
      for (const [sku, q] of quantities) {
        const s = expectedStock.get(sku)!;
        expectedStock.set(sku, { available: s.available - q, reservations: s.reservations + 1 });
      }
    } else expected = { status: 'cancelled', reason: 'NotShippedInTime' };
    orders.push({ id: `ful-${pad(n)}`, accountId: `fac-${pad(n)}`, balance, lines, ships, expected });
  }
  return { stock, orders, expectedStock };
}

/**
 * What the phase did: the check against the model and a one-line summary.
 *
 * @example
 * ```ts
 * const { check, summary } = await runFulfilment(app, workload, { inFlight: 64, advanceClock, shipWithin });
 * ```
 */
export type FulfilmentRun = { readonly check: Check; readonly summary: string };

async function all(app: App, commands: readonly Command[], inFlight: number, problems: string[]) {
  await runWindowed(commands, inFlight, (c) => app.send(c), (r, i) => {
    if (!r.ok) problems.push(`${commands[i]!.type} ${commands[i]!.id}: ${r.error.code} ${r.error.message}`);
  });
}

/**
 * Runs the phase on an app that hosts Order, Account and Inventory and runs the Fulfilment
 * process: stocks the SKUs, opens and funds the accounts, places the orders; once the process has
 * settled, the warehouse ships the paid orders it picked; then the clock is moved past the
 * shipping deadline and the others time out. Compares every order (state and cancellation
 * reason), account balance and SKU with the model, and the process's status.
 *
 * @example
 * ```ts
 * const run = await runFulfilment(engine.app, createFulfilmentWorkload({ orders: 300, seed }), { inFlight: 64, shipWithin, advanceClock: engine.advanceClock });
 * ```
 */
export async function runFulfilment(
  app: App,
  w: FulfilmentWorkload,
  options: { readonly inFlight: number; readonly shipWithin: number; readonly advanceClock: (ms: number) => void },
): Promise<FulfilmentRun> {
  const problems: string[] = [];
  const fulfilment = app.process('Fulfilment');
  const setup: Command[] = [...w.stock].map(([sku, quantity]) => ({ type: 'Restock', aggregate: 'Inventory', id: sku, payload: { quantity } }));
  for (const o of w.orders) setup.push({ type: 'OpenAccount', aggregate: 'Account', id: o.accountId, payload: { owner: o.id } });
  await all(app, setup, options.inFlight, problems);
  await all(app, w.orders.filter((o) => o.balance > 0).map((o) => ({ type: 'Deposit', aggregate: 'Account', id: o.accountId, payload: { amount: o.balance } })), options.inFlight, problems);
  await runWindowed(w.orders, options.inFlight, async (o) => {
    const steps: Command[] = [
      { type: 'CreateOrder', aggregate: 'Order', id: o.id, payload: { customerId: 'fulfilment' } },
      ...o.lines.map((l) => ({ type: 'AddItem', aggregate: 'Order', id: o.id, payload: l })),
      { type: 'PlaceOrder', aggregate: 'Order', id: o.id, payload: { accountId: o.accountId } },
    ];
    for (const c of steps) {
      const r = await app.send(c);
      if (!r.ok) problems.push(`${c.type} ${c.id}: ${r.error.code} ${r.error.message}`);
    }
  }, () => {});
  await fulfilment.settled({ timeout: 120_000 });
  // The warehouse ships what is paid and picked; the rest waits past the deadline.
  await all(app, w.orders.filter((o) => o.expected.status === 'shipped').map((o) => ({ type: 'ShipOrder', aggregate: 'Order', id: o.id, payload: {} })), options.inFlight, problems);
  await fulfilment.settled({ timeout: 120_000 });
  options.advanceClock(options.shipWithin + 1000);
  const deadline = performance.now() + 120_000;
  for (;;) {
    const s = await fulfilment.status();
    if (s.timers === 0 && s.outbox === 0 && s.lag === 0) break;
    if (performance.now() > deadline) {
      problems.push(`Fulfilment did not finish: ${s.timers} timers, ${s.outbox} commands pending`);
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }

  const status = await fulfilment.status();
  if (status.halted.length > 0) problems.push(`Fulfilment halted instances: ${status.halted.map((h) => `${h.instance}: ${h.error.message}`).join('; ')}`);
  const outcomes = new Map<string, number>();
  await runWindowed(w.orders, options.inFlight, async (o) => {
    const order = await app.state('Order', o.id);
    const instance = await fulfilment.state(o.id);
    if (order?.value !== o.expected.status) problems.push(`Order ${o.id}: expected ${o.expected.status}, got ${String(order?.value)}`);
    if (instance?.value !== o.expected.status) problems.push(`Fulfilment ${o.id}: expected ${o.expected.status}, got ${JSON.stringify(instance?.value)}`);
    if (o.expected.reason !== undefined) {
      const last = (await app.log.readStream('Order', o.id)).at(-1);
      const reason = (last?.data as { reason?: string } | undefined)?.reason;
      if (reason !== o.expected.reason) problems.push(`Order ${o.id}: expected cancel reason ${JSON.stringify(o.expected.reason)}, got ${JSON.stringify(reason)}`);
    }
    const total = o.lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0);
    const balance = (await app.state('Account', o.accountId))?.context as { balance?: number } | undefined;
    const expectedBalance = o.expected.status === 'shipped' ? o.balance - total : o.balance;
    if (balance?.balance !== expectedBalance) problems.push(`Account ${o.accountId}: expected balance ${expectedBalance}, got ${String(balance?.balance)}`);
    const key = o.expected.reason?.split(':')[0] ?? 'shipped';
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }, () => {});
  for (const [sku, expected] of w.expectedStock) {
    const s = (await app.state('Inventory', sku))?.context as { available?: number; reservations?: Record<string, number> } | undefined;
    const actual = { available: s?.available ?? 0, reservations: Object.keys(s?.reservations ?? {}).length };
    if (actual.available !== expected.available || actual.reservations !== expected.reservations) {
      problems.push(`Inventory ${sku}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
  }
  const part = (k: string, label: string) => `${count(outcomes.get(k) ?? 0)} ${label}`;
  const summary = `Fulfilment: ${plural(w.orders.length, 'order')} · ${part('shipped', 'shipped')} · cancelled ${part('OutOfStock', 'no stock')}, ${part('InsufficientFunds', 'unpaid')}, ${part('NotShippedInTime', 'late')}`;
  return { check: { what: `Fulfilment: ${plural(w.orders.length, 'order')}, their accounts and ${plural(w.expectedStock.size, 'SKU')} against the model`, problems: problems.slice(0, 20) }, summary };
}
