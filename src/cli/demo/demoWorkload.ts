import type { Command } from '../../commands/command.js';
import { createDemoModel, type DemoModel, type ExpectedOutcome, type ModelLine } from './demoModel.js';
import { createPrng, type Prng } from '../../testing/prng.js';

/**
 * A generated demo workload: the commands, in the order they are sent, what each should come
 * to, and the reference model after all of them.
 *
 * @example
 * ```ts
 * const { commands, expected, model } = createDemoWorkload({ commands: 2_000, seed: 7 });
 * ```
 */
export type DemoWorkload = {
  readonly commands: readonly Command[];
  readonly expected: readonly ExpectedOutcome[];
  readonly model: DemoModel;
};

/**
 * Options of {@link createDemoWorkload}.
 *
 * @example
 * ```ts
 * const options: DemoWorkloadOptions = { commands: 30_000, seed: 1 };
 * ```
 */
export type DemoWorkloadOptions = { readonly commands: number; readonly seed: number };

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Leslie', 'Frances', 'Niklaus', 'Tony', 'Hedy', 'Katherine', 'Dennis'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Perlman', 'Lamport', 'Allen', 'Wirth', 'Hoare', 'Lamarr', 'Johnson', 'Ritchie'];
const CITIES = [
  { city: 'Berlin', country: 'DE', code: '10115' },
  { city: 'Lyon', country: 'FR', code: '69001' },
  { city: 'Leeds', country: 'GB', code: 'LS1 4AP' },
  { city: 'Utrecht', country: 'NL', code: '3511 AA' },
  { city: 'Portland', country: 'US', code: '97201' },
];
const STREETS = ['Main Street', 'Market Square', 'Station Road', 'Harbour Lane', 'Mill Way', 'Church Row'];
const CATALOG: ReadonlyArray<Omit<ModelLine, 'quantity'>> = [
  { sku: 'TEA-GRN', name: 'Green tea', unitPrice: 450 },
  { sku: 'TEA-BLK', name: 'Black tea', unitPrice: 390 },
  { sku: 'COF-ESP', name: 'Espresso beans', unitPrice: 1290 },
  { sku: 'MUG-BLU', name: 'Blue mug', unitPrice: 850 },
  { sku: 'KTL-STL', name: 'Steel kettle', unitPrice: 3490 },
  { sku: 'FLT-PAP', name: 'Paper filters', unitPrice: 275 },
  { sku: 'GRN-HND', name: 'Hand grinder', unitPrice: 4590 },
  { sku: 'CUP-SET', name: 'Cup set', unitPrice: 2190 },
];
const BAD_EMAILS = ['not-an-email', 'ada(at)example.org', 'grace@', '@example.org', 'alan@example'];
const BAD_PHONES = ['030 1234567', '+0 123', 'call me'];

// A set with O(1) add, delete and uniform pick, so that sampling stays cheap at any size.
function createPool(): { add(id: string): void; delete(id: string): void; pick(rand: Prng): string | undefined; readonly size: number } {
  const items: string[] = [];
  const index = new Map<string, number>();
  return {
    add(id) {
      if (index.has(id)) return;
      index.set(id, items.length);
      items.push(id);
    },
    delete(id) {
      const i = index.get(id);
      if (i === undefined) return;
      const last = items.pop()!;
      index.delete(id);
      if (last !== id) {
        items[i] = last;
        index.set(last, i);
      }
    },
    pick: (rand) => (items.length === 0 ? undefined : rand.pick(items)),
    get size() {
      return items.length;
    },
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Generates a realistic, seeded workload over the example domain and runs it through the
 * reference model: customers register and change their email, address and phone; accounts open
 * and take deposits and withdrawals (about one in eight overdraws: `InsufficientFunds`); orders
 * are created, filled, shipped or cancelled. A small share is wrong on purpose: shipping an empty
 * order, cancelling a shipped one, an invalid email or phone, a negative amount, an id that is
 * not a subject token, and `UpdateUser` (not a task-based command). The same seed always gives
 * the same commands.
 *
 * @example
 * ```ts
 * const w = createDemoWorkload({ commands: 30_000, seed: 1 });
 * console.log(w.commands.length, w.model.accounts.size);
 * ```
 */
export function createDemoWorkload(options: DemoWorkloadOptions): DemoWorkload {
  const rand = createPrng(options.seed);
  const model = createDemoModel();
  const commands: Command[] = [];
  const expected: ExpectedOutcome[] = [];
  const customers = createPool();
  const accounts = createPool();
  const openOrders = createPool();
  const closedOrders = createPool();
  let nextCustomer = 1;
  let nextAccount = 1;
  let nextOrder = 1;

  const command = (aggregate: string, id: string, type: string, payload: unknown): Command => ({
    type,
    aggregate,
    id,
    payload,
    commandId: `demo-${options.seed}-${commands.length}`,
  });

  const register = (): Command => {
    const n = nextCustomer++;
    const first = rand.pick(FIRST);
    const last = rand.pick(LAST);
    const email = `${first}.${last}${n}@example.org`.toLowerCase();
    const phone = rand.chance(0.5) ? { phone: `+49${rand.int(100_000_000, 999_999_999)}` } : {};
    return command('Customer', `cus-${pad(n, 4)}`, 'RegisterCustomer', { name: `${first} ${last}`, email, ...phone });
  };
  const openAccount = (): Command => {
    const n = nextAccount++;
    return command('Account', `acc-${pad(n, 4)}`, 'OpenAccount', { owner: `${rand.pick(FIRST)} ${rand.pick(LAST)}` });
  };
  const createOrder = (): Command | undefined => {
    const customerId = customers.pick(rand);
    if (customerId === undefined) return undefined;
    return command('Order', `ord-${pad(nextOrder++, 5)}`, 'CreateOrder', { customerId });
  };

  const changeEmail = (): Command | undefined => {
    const id = customers.pick(rand);
    if (id === undefined) return undefined;
    const c = model.customers.get(id)!;
    const roll = rand.next();
    const email =
      roll < 0.15 ? c.email.toUpperCase() : roll < 0.35 ? rand.pick(BAD_EMAILS) : c.email.replace(/(\.\d+)?@.*$/, `.${c.emailChanges + 1}@example.net`);
    return command('Customer', id, 'ChangeUserEmail', { email });
  };
  const updateAddress = (): Command | undefined => {
    const id = customers.pick(rand);
    if (id === undefined) return undefined;
    const current = model.customers.get(id)!.address;
    if (current !== null && rand.chance(0.25)) return command('Customer', id, 'UpdateUserAddress', current);
    const place = rand.pick(CITIES);
    const country = rand.chance(0.1) ? 'Germany' : place.country;
    const street = `${rand.int(1, 120)} ${rand.pick(STREETS)}`;
    return command('Customer', id, 'UpdateUserAddress', { street, city: place.city, postalCode: place.code, country });
  };
  const changePhone = (): Command | undefined => {
    const id = customers.pick(rand);
    if (id === undefined) return undefined;
    const current = model.customers.get(id)!.phone;
    const roll = rand.next();
    const phone = roll < 0.15 ? rand.pick(BAD_PHONES) : roll < 0.25 && current !== null ? current : `+44${rand.int(1_000_000_000, 9_999_999_999)}`;
    return command('Customer', id, 'ChangePhoneNumber', { phone });
  };
  const deposit = (): Command | undefined => {
    const id = accounts.pick(rand);
    if (id === undefined) return undefined;
    const amount = rand.chance(0.02) ? -rand.int(1, 5_000) : rand.int(500, 50_000);
    return command('Account', id, 'Deposit', { amount });
  };
  const withdraw = (): Command | undefined => {
    const id = accounts.pick(rand);
    if (id === undefined) return undefined;
    const balance = model.accounts.get(id)!.balance;
    const amount = rand.chance(0.12) || balance === 0 ? balance + rand.int(1, 20_000) : rand.int(1, balance);
    return command('Account', id, 'Withdraw', { amount });
  };
  const closeAccount = (): Command | undefined => {
    const id = accounts.pick(rand);
    return id === undefined ? undefined : command('Account', id, 'CloseAccount', {});
  };
  const addItem = (): Command | undefined => {
    // Now and then a late customer adds to an order that has already shipped or was cancelled.
    const id = rand.chance(0.05) ? closedOrders.pick(rand) : openOrders.pick(rand);
    if (id === undefined) return undefined;
    return command('Order', id, 'AddItem', { ...rand.pick(CATALOG), quantity: rand.int(1, 3) });
  };
  const shipOrder = (): Command | undefined => {
    const id = openOrders.pick(rand);
    return id === undefined ? undefined : command('Order', id, 'ShipOrder', {});
  };
  const cancelOrder = (): Command | undefined => {
    const id = rand.chance(0.3) ? closedOrders.pick(rand) : openOrders.pick(rand);
    if (id === undefined) return undefined;
    return command('Order', id, 'CancelOrder', rand.chance(0.5) ? { reason: 'customer changed their mind' } : {});
  };
  const updateUser = (): Command | undefined => {
    const id = customers.pick(rand);
    return id === undefined ? undefined : command('Customer', id, 'UpdateUser', { email: 'ada@example.org' });
  };
  const badId = (): Command => command('Order', `ord ${rand.int(1, 99)}`, 'AddItem', { ...rand.pick(CATALOG), quantity: 1 });

  const moves: ReadonlyArray<readonly [number, () => Command | undefined]> = [
    [3, register],
    [2.2, changeEmail],
    [1.5, updateAddress],
    [1, changePhone],
    [2.5, openAccount],
    [21, deposit],
    [16, withdraw],
    [0.4, closeAccount],
    [9, createOrder],
    [24, addItem],
    [6.5, shipOrder],
    [2.5, cancelOrder],
    [0.3, updateUser],
    [0.2, badId],
  ];
  const totalWeight = moves.reduce((sum, [w]) => sum + w, 0);

  const choose = (): Command => {
    let roll = rand.next() * totalWeight;
    for (const [weight, move] of moves) {
      roll -= weight;
      if (roll < 0) return move() ?? (customers.size <= accounts.size ? register() : openAccount());
    }
    return register();
  };

  for (let i = 0; i < options.commands; i++) {
    const c = choose();
    const outcome = model.apply(c);
    commands.push(c);
    expected.push(outcome);
    if (outcome.kind !== 'accepted') continue;
    if (c.type === 'RegisterCustomer') customers.add(c.id);
    else if (c.type === 'OpenAccount') accounts.add(c.id);
    else if (c.type === 'CreateOrder') openOrders.add(c.id);
    else if (c.type === 'ShipOrder' || c.type === 'CancelOrder') {
      openOrders.delete(c.id);
      closedOrders.add(c.id);
    }
  }
  return { commands, expected, model };
}
