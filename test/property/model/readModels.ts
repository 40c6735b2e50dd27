/**
 * The expected read models of the example projections, derived declaratively from the modelled
 * world (the aggregates' current states plus the log in position order), not by replaying the
 * projection handlers: "an order's row holds its lines, their quantity sum and price total, its
 * customer's current name and email", and so on. Timestamps are the envelopes' (as recorded from
 * the command results), and days are their UTC calendar days.
 */
import { commitsInLogOrder, type ModelCommit, type World } from './world.js';

/** Key → value, per projection. */
export type ViewState = Record<string, unknown>;
export type ReadState = Record<string, ViewState>;
/** Index name → index key → the view keys it files there (sorted). */
export type IndexState = Record<string, Record<string, Record<string, string[]>>>;

export const PROJECTIONS = ['OrderSummary', 'CustomerOrders', 'ShippingDashboard', 'Analytics', 'AccountBalance'] as const;
export type ProjectionName = (typeof PROJECTIONS)[number];

const utcDay = (t: number): string => new Date(t).toISOString().slice(0, 10);

type OrderFacts = {
  id: string;
  customerId: string;
  status: 'open' | 'shipped' | 'cancelled';
  itemCount: number;
  total: number;
  createdAt: number;
  createdPosition: number;
  /** Timestamp of the commit that shipped or cancelled it. */
  closedAt: number | null;
};

// Facts per order that several views share, from the world's order states and the log.
function orderFacts(world: World, log: ModelCommit[]): OrderFacts[] {
  const created = new Map<string, ModelCommit>();
  for (const c of log) if (c.aggregate === 'Order' && c.events.some((e) => e.type === 'OrderCreated')) created.set(c.id, c);
  return [...world.orders].map(([id, o]) => {
    const at = created.get(id)!;
    return {
      id,
      customerId: o.customerId,
      status: o.status,
      itemCount: o.items.reduce((n, i) => n + i.quantity, 0),
      total: o.items.reduce((n, i) => n + i.quantity * i.unitPrice, 0),
      createdAt: at.timestamp,
      createdPosition: at.position,
      closedAt: o.shippedAt ?? o.cancelledAt,
    };
  });
}

function accountBalance(world: World, log: ModelCommit[]): ViewState {
  const view: ViewState = {};
  for (const [id, a] of world.accounts) {
    const mine = log.filter((c) => c.aggregate === 'Account' && c.id === id);
    const opened = mine[0]!;
    const last = mine[mine.length - 1]!;
    view[id] = {
      accountId: id,
      owner: a.owner,
      balance: a.balance,
      status: a.status,
      openedAt: opened.timestamp,
      updatedAt: last.timestamp,
      closedAt: a.status === 'closed' ? last.timestamp : null,
    };
  }
  return view;
}

function orderSummary(world: World, facts: OrderFacts[]): ViewState {
  const view: ViewState = {};
  for (const [id, c] of world.customers) view[`customer.${id}`] = { kind: 'customer', customerId: id, name: c.name, email: c.email };
  for (const f of facts) {
    const o = world.orders.get(f.id)!;
    const customer = world.customers.get(o.customerId);
    const productNames: string[] = [];
    for (const i of o.items) if (!productNames.includes(i.name)) productNames.push(i.name);
    view[f.id] = {
      kind: 'order',
      orderId: f.id,
      customerId: o.customerId,
      customerName: customer?.name ?? null,
      customerEmail: customer?.email ?? null,
      lines: o.items.map((i) => ({ ...i })),
      productNames,
      itemCount: f.itemCount,
      total: f.total,
      status: o.status,
      createdAt: f.createdAt,
      shippedAt: o.shippedAt,
      cancelledAt: o.cancelledAt,
      cancelReason: o.status === 'cancelled' ? o.cancelReason : null,
    };
  }
  return view;
}

function customerOrders(world: World, facts: OrderFacts[]): ViewState {
  const view: ViewState = {};
  // A row exists for every registered customer and for every customer id an order names.
  const ids = new Set<string>([...world.customers.keys(), ...facts.map((f) => f.customerId)]);
  for (const customerId of ids) {
    const c = world.customers.get(customerId);
    const orders = facts.filter((f) => f.customerId === customerId).sort((a, b) => a.createdPosition - b.createdPosition);
    view[customerId] = {
      customerId,
      name: c?.name ?? null,
      email: c?.email ?? null,
      orders: orders.map((f) => ({ orderId: f.id, status: f.status, itemCount: f.itemCount, total: f.total, createdAt: f.createdAt })),
      orderCount: orders.length,
      totalSpent: orders.filter((f) => f.status === 'shipped').reduce((n, f) => n + f.total, 0),
    };
  }
  return view;
}

function shippingDashboard(facts: OrderFacts[]): ViewState {
  const view: ViewState = {};
  if (facts.length === 0) return view;
  for (const f of facts.filter((x) => x.status === 'open')) {
    view[`awaiting/${f.id}`] = { orderId: f.id, customerId: f.customerId, itemCount: f.itemCount, total: f.total, createdAt: f.createdAt };
  }
  for (const f of facts.filter((x) => x.status === 'shipped')) {
    const day = utcDay(f.closedAt!);
    const d = (view[`shipped/${day}`] as { day: string; count: number; total: number } | undefined) ?? { day, count: 0, total: 0 };
    view[`shipped/${day}`] = { day, count: d.count + 1, total: d.total + f.total };
  }
  const count = (s: OrderFacts['status']) => facts.filter((f) => f.status === s).length;
  view.summary = { awaiting: count('open'), shipped: count('shipped'), cancelled: count('cancelled') };
  return view;
}

type Day = { day: string; created: number; shipped: number; cancelled: number; revenue: number; itemsSold: number };

function analytics(facts: OrderFacts[]): ViewState {
  const view: ViewState = {};
  for (const f of facts) view[`order/${f.id}`] = { status: f.status, total: f.total, itemCount: f.itemCount };
  // A status row appears once an order has entered that status, and stays (possibly at zero).
  for (const status of ['open', 'shipped', 'cancelled'] as const) {
    const entered = status === 'open' ? facts : facts.filter((f) => f.status === status);
    if (entered.length === 0) continue;
    const now = facts.filter((f) => f.status === status);
    view[`status/${status}`] = { status, count: now.length, revenue: now.reduce((n, f) => n + f.total, 0) };
  }
  const days = new Map<string, Day>();
  const day = (t: number): Day => {
    const d = utcDay(t);
    let row = days.get(d);
    if (!row) days.set(d, (row = { day: d, created: 0, shipped: 0, cancelled: 0, revenue: 0, itemsSold: 0 }));
    return row;
  };
  for (const f of facts) {
    day(f.createdAt).created += 1;
    if (f.status === 'shipped') {
      const d = day(f.closedAt!);
      d.shipped += 1;
      d.revenue += f.total;
      d.itemsSold += f.itemCount;
    }
    if (f.status === 'cancelled') day(f.closedAt!).cancelled += 1;
  }
  for (const [d, row] of days) view[`day/${d}`] = row;
  return view;
}

/** The five example views as the model expects them. */
export function expectedReadState(world: World): ReadState {
  const log = commitsInLogOrder(world);
  const facts = orderFacts(world, log);
  return {
    OrderSummary: orderSummary(world, facts),
    CustomerOrders: customerOrders(world, facts),
    ShippingDashboard: shippingDashboard(facts),
    Analytics: analytics(facts),
    AccountBalance: accountBalance(world, log),
  };
}

/** The secondary indexes of the example views: OrderSummary.byCustomer and CustomerOrders.byOrder. */
export function expectedIndexes(world: World): IndexState {
  const byCustomer: Record<string, string[]> = {};
  const byOrder: Record<string, string[]> = {};
  for (const [id, o] of [...world.orders].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    (byCustomer[o.customerId] ??= []).push(id);
    byOrder[id] = [o.customerId];
  }
  return { OrderSummary: { byCustomer }, CustomerOrders: { byOrder } };
}
