import type { Command } from '../../commands/command.js';

/**
 * What a command should come to, as the reference model sees it: `accepted` with its number of
 * events, `rejected` by the aggregate with a reason, or `invalid` before reaching the aggregate
 * (`invalid` for a bad payload or id, `unknown_command` for a type no aggregate knows).
 *
 * @example
 * ```ts
 * const expected: ExpectedOutcome = { kind: 'rejected', reason: 'InsufficientFunds' };
 * ```
 */
export type ExpectedOutcome =
  | { readonly kind: 'accepted'; readonly events: number }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly code: 'invalid' | 'unknown_command' };

/** A postal address as the Customer aggregate takes it. @example `{ street: '12 Mill Way', city: 'Leeds', postalCode: 'LS1 4AP', country: 'GB' }` */
export type ModelAddress = { street: string; city: string; postalCode: string; country: string };

/** One line of an order. Prices are cents. @example `{ sku: 'TEA-GRN', name: 'Green tea', quantity: 2, unitPrice: 450 }` */
export type ModelLine = { sku: string; name: string; quantity: number; unitPrice: number };

/** A customer as the model tracks it. `version` counts its events. @example `model.customers.get('cus-0001')?.email` */
export type ModelCustomer = {
  readonly id: string;
  name: string;
  email: string;
  phone: string | null;
  address: ModelAddress | null;
  version: number;
  emailChanges: number;
  /** Step (index of the applied command) of the last accepted email change; -1 for none. */
  lastEmailChangeStep: number;
};

/** An account as the model tracks it. Amounts are cents. @example `model.accounts.get('acc-0001')?.balance` */
export type ModelAccount = {
  readonly id: string;
  owner: string;
  balance: number;
  status: 'open' | 'closed';
  version: number;
  /** Withdrawals refused with InsufficientFunds. */
  overdrawn: number;
};

/** An order as the model tracks it. @example `model.orders.get('ord-00001')?.status` */
export type ModelOrder = {
  readonly id: string;
  customerId: string;
  lines: ModelLine[];
  status: 'open' | 'shipped' | 'cancelled';
  version: number;
  /** Step at which it was created. */
  createdStep: number;
};

/**
 * A plain-JS model of the example domain (Customer, Account, Order) that knows nothing of
 * Tributary: it restates the rules (validation order, invariants, rejection reasons) so that
 * the demo can check what the framework answered instead of trusting it.
 *
 * @example
 * ```ts
 * const model = createDemoModel();
 * model.apply({ type: 'OpenAccount', aggregate: 'Account', id: 'acc-1', payload: { owner: 'Ada' } }); // accepted
 * model.apply({ type: 'Withdraw', aggregate: 'Account', id: 'acc-1', payload: { amount: 5 } }); // InsufficientFunds
 * ```
 */
export type DemoModel = {
  /** Applies one command in order and returns the outcome it should have. */
  apply(command: Command): ExpectedOutcome;
  readonly customers: ReadonlyMap<string, Readonly<ModelCustomer>>;
  readonly accounts: ReadonlyMap<string, Readonly<ModelAccount>>;
  readonly orders: ReadonlyMap<string, Readonly<ModelOrder>>;
};

const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  Customer: ['RegisterCustomer', 'ChangeUserEmail', 'UpdateUserAddress', 'ChangePhoneNumber'],
  Account: ['OpenAccount', 'Deposit', 'Withdraw', 'CloseAccount'],
  Order: ['CreateOrder', 'AddItem', 'ShipOrder', 'CancelOrder'],
};

const MAX_AMOUNT = 1_000_000_000_00;

// Strict enough for the addresses the workload generates, valid or deliberately broken.
const isEmail = (v: unknown): v is string =>
  typeof v === 'string' && v.length <= 254 && /^[a-z0-9_+-]+(\.[a-z0-9_+-]+)*@([a-z0-9][a-z0-9-]*\.)+[a-z]{2,}$/i.test(v);
const isPhone = (v: unknown): v is string => typeof v === 'string' && /^\+[1-9]\d{6,14}$/.test(v);
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.trim().length > 0 && v.length <= max;
const isAmount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= MAX_AMOUNT;
const isAddress = (v: Record<string, unknown>): boolean =>
  isText(v.street, 200) && isText(v.city, 100) && isText(v.postalCode, 16) && typeof v.country === 'string' && /^[A-Z]{2}$/.test(v.country);
const isLine = (v: Record<string, unknown>): boolean =>
  isText(v.sku, 64) &&
  isText(v.name, 200) &&
  Number.isSafeInteger(v.quantity) &&
  (v.quantity as number) >= 1 &&
  (v.quantity as number) <= 10_000 &&
  Number.isSafeInteger(v.unitPrice) &&
  (v.unitPrice as number) >= 0;
const isValidId = (id: string): boolean => id.length > 0 && id.length <= 128 && !/[\s.*>\p{Cc}]/u.test(id);

const sameAddress = (a: ModelAddress | null, b: Record<string, unknown>): boolean =>
  a !== null && a.street === b.street && a.city === b.city && a.postalCode === b.postalCode && a.country === b.country;

/**
 * Creates an empty {@link DemoModel}.
 *
 * @example
 * ```ts
 * const model = createDemoModel();
 * const expected = commands.map((c) => model.apply(c));
 * ```
 */
export function createDemoModel(): DemoModel {
  const customers = new Map<string, ModelCustomer>();
  const accounts = new Map<string, ModelAccount>();
  const orders = new Map<string, ModelOrder>();
  let step = -1;

  const accepted: ExpectedOutcome = { kind: 'accepted', events: 1 };
  const invalid: ExpectedOutcome = { kind: 'invalid', code: 'invalid' };
  const rejected = (reason: string): ExpectedOutcome => ({ kind: 'rejected', reason });
  const notAccepted = rejected('NotAccepted');

  const customer = (id: string, type: string, p: Record<string, unknown>): ExpectedOutcome => {
    const c = customers.get(id);
    switch (type) {
      case 'RegisterCustomer':
        if (!isText(p.name, 200) || !isEmail(p.email) || (p.phone !== undefined && !isPhone(p.phone))) return invalid;
        if (c) return notAccepted;
        customers.set(id, {
          id,
          name: p.name.trim(),
          email: p.email,
          phone: (p.phone as string | undefined) ?? null,
          address: null,
          version: 1,
          emailChanges: 0,
          lastEmailChangeStep: -1,
        });
        return accepted;
      case 'ChangeUserEmail':
        if (!isEmail(p.email)) return invalid;
        if (!c) return notAccepted;
        if (c.email.toLowerCase() === p.email.toLowerCase()) return rejected('SameEmail');
        c.email = p.email;
        c.emailChanges += 1;
        c.lastEmailChangeStep = step;
        break;
      case 'UpdateUserAddress':
        if (!isAddress(p)) return invalid;
        if (!c) return notAccepted;
        if (sameAddress(c.address, p)) return rejected('SameAddress');
        c.address = { street: p.street as string, city: p.city as string, postalCode: p.postalCode as string, country: p.country as string };
        break;
      default:
        if (!isPhone(p.phone)) return invalid;
        if (!c) return notAccepted;
        if (c.phone === p.phone) return rejected('SamePhoneNumber');
        c.phone = p.phone;
    }
    c.version += 1;
    return accepted;
  };

  const account = (id: string, type: string, p: Record<string, unknown>): ExpectedOutcome => {
    const a = accounts.get(id);
    switch (type) {
      case 'OpenAccount':
        if (!isText(p.owner, 200)) return invalid;
        if (a) return notAccepted;
        accounts.set(id, { id, owner: p.owner.trim(), balance: 0, status: 'open', version: 1, overdrawn: 0 });
        return accepted;
      case 'Deposit':
      case 'Withdraw':
        if (!isAmount(p.amount)) return invalid;
        if (a?.status !== 'open') return notAccepted;
        if (type === 'Withdraw' && p.amount > a.balance) {
          a.overdrawn += 1;
          return rejected('InsufficientFunds');
        }
        a.balance += type === 'Deposit' ? p.amount : -p.amount;
        break;
      default:
        if (a?.status !== 'open') return notAccepted;
        if (a.balance !== 0) return rejected('BalanceNotZero');
        a.status = 'closed';
    }
    a.version += 1;
    return accepted;
  };

  const order = (id: string, type: string, p: Record<string, unknown>): ExpectedOutcome => {
    const o = orders.get(id);
    if (type === 'CreateOrder') {
      if (!isText(p.customerId, 128)) return invalid;
      if (o) return notAccepted;
      orders.set(id, { id, customerId: p.customerId, lines: [], status: 'open', version: 1, createdStep: step });
      return accepted;
    }
    if (type === 'AddItem' && !isLine(p)) return invalid;
    if (type === 'CancelOrder' && p.reason !== undefined && !(typeof p.reason === 'string' && p.reason.length <= 500)) return invalid;
    if (!o) return notAccepted;
    if (o.status === 'shipped') return rejected('AlreadyShipped');
    if (o.status === 'cancelled') return rejected('OrderCancelled');
    switch (type) {
      case 'AddItem':
        o.lines.push({ sku: p.sku as string, name: p.name as string, quantity: p.quantity as number, unitPrice: p.unitPrice as number });
        break;
      case 'ShipOrder':
        if (o.lines.length === 0) return rejected('EmptyOrder');
        o.status = 'shipped';
        break;
      default:
        o.status = 'cancelled';
    }
    o.version += 1;
    return accepted;
  };

  return {
    customers,
    accounts,
    orders,
    apply(command) {
      step += 1;
      const known = COMMANDS[command.aggregate];
      if (known === undefined) return { kind: 'invalid', code: 'unknown_command' };
      if (!isValidId(command.id)) return invalid;
      if (!known.includes(command.type)) return { kind: 'invalid', code: 'unknown_command' };
      const payload = command.payload;
      if (typeof payload !== 'object' || payload === null) return invalid;
      const p = payload as Record<string, unknown>;
      if (command.aggregate === 'Customer') return customer(command.id, command.type, p);
      if (command.aggregate === 'Account') return account(command.id, command.type, p);
      return order(command.id, command.type, p);
    },
  };
}
