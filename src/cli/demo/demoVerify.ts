import {
  AccountBalance,
  Analytics,
  CustomerOrders,
  OrderSummary,
  ShippingDashboard,
  statusKey,
  SUMMARY_KEY,
  type AnalyticsStatus,
  type ShippingSummary,
  type StatusStats,
} from '../../../projections/index.js';
import type { App } from '../../createApp.js';
import type { Projections } from '../../projection/createProjections.js';
import type { DemoModel, ModelOrder } from './demoModel.js';
import { count, plural } from './textFormat.js';

/**
 * One verification: what was compared with the model, and every difference found.
 *
 * @example
 * ```ts
 * const check: Check = { what: 'AccountBalance: 804 accounts', problems: [] };
 * ```
 */
export type Check = { readonly what: string; readonly problems: readonly string[] };

/**
 * An order's item count and total (cents), as the model computes them.
 *
 * @example
 * ```ts
 * const { items, total } = orderTotals(model.orders.get('ord-00042')!);
 * ```
 */
export function orderTotals(order: ModelOrder): { items: number; total: number } {
  let items = 0;
  let total = 0;
  for (const line of order.lines) {
    items += line.quantity;
    total += line.quantity * line.unitPrice;
  }
  return { items, total };
}

const show = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

// Collects differences as "what: expected X, got Y" lines.
function differences(): { expect(what: string, expected: unknown, actual: unknown): void; readonly list: string[] } {
  const list: string[] = [];
  return {
    list,
    expect(what, expected, actual) {
      if (expected !== actual) list.push(`${what}: expected ${show(expected)}, got ${show(actual)}`);
    },
  };
}

const WRITE_CHECK_LIMIT = 20_000;
const READ_CONCURRENCY = 256;

/**
 * Reads aggregates back with `app.state` and compares version, state and key fields with the
 * model: every aggregate up to 20,000, beyond that an evenly spread sample (the check says so).
 *
 * @example
 * ```ts
 * const check = await verifyWriteModel(app, workload.model);
 * if (check.problems.length > 0) console.error(check.problems[0]);
 * ```
 */
export async function verifyWriteModel(app: App, model: DemoModel): Promise<Check> {
  const d = differences();
  type Job = () => Promise<void>;
  const jobs: Job[] = [];
  for (const c of model.customers.values()) {
    jobs.push(async () => {
      const s = await app.state('Customer', c.id);
      const ctx = s?.context as { name?: string; email?: string; phone?: string | null } | undefined;
      d.expect(`Customer ${c.id} version`, c.version, s?.version);
      d.expect(`Customer ${c.id} name`, c.name, ctx?.name);
      d.expect(`Customer ${c.id} email`, c.email, ctx?.email);
      d.expect(`Customer ${c.id} phone`, c.phone, ctx?.phone);
    });
  }
  for (const a of model.accounts.values()) {
    jobs.push(async () => {
      const s = await app.state('Account', a.id);
      d.expect(`Account ${a.id} version`, a.version, s?.version);
      d.expect(`Account ${a.id} state`, a.status, s?.value);
      d.expect(`Account ${a.id} balance`, a.balance, (s?.context as { balance?: number } | undefined)?.balance);
    });
  }
  for (const o of model.orders.values()) {
    jobs.push(async () => {
      const s = await app.state('Order', o.id);
      d.expect(`Order ${o.id} version`, o.version, s?.version);
      d.expect(`Order ${o.id} state`, o.status, s?.value);
      const items = (s?.context as { items?: ModelOrder['lines'] } | undefined)?.items ?? [];
      const totals = orderTotals(o);
      d.expect(`Order ${o.id} lines`, o.lines.length, items.length);
      d.expect(`Order ${o.id} items`, totals.items, items.reduce((n, i) => n + i.quantity, 0));
      d.expect(`Order ${o.id} total`, totals.total, items.reduce((n, i) => n + i.quantity * i.unitPrice, 0));
    });
  }
  const stride = Math.max(1, Math.ceil(jobs.length / WRITE_CHECK_LIMIT));
  const picked = jobs.filter((_, i) => i % stride === 0);
  for (let i = 0; i < picked.length; i += READ_CONCURRENCY) {
    await Promise.all(picked.slice(i, i + READ_CONCURRENCY).map((job) => job()));
  }
  const what = picked.length === jobs.length ? `${plural(jobs.length, 'aggregate')} read back` : `${count(picked.length)} of ${plural(jobs.length, 'aggregate')} read back`;
  return { what, problems: d.list };
}

/**
 * Compares the five example read models, in full, with the model: every account's balance, every
 * order's summary (with its customer's current name and email copied in), every customer's
 * orders, the shipping counts and the analytics per status.
 *
 * @example
 * ```ts
 * for (const check of await verifyReadModels(views.projections, workload.model)) console.log(check.what, check.problems.length);
 * ```
 */
export async function verifyReadModels(projections: Projections, model: DemoModel): Promise<Check[]> {
  const checks: Check[] = [];

  {
    const d = differences();
    const rows = await projections.get(AccountBalance).entries();
    d.expect('AccountBalance rows', model.accounts.size, rows.length);
    for (const { key, value } of rows) {
      const a = model.accounts.get(key);
      d.expect(`AccountBalance ${key} balance`, a?.balance, value.balance);
      d.expect(`AccountBalance ${key} status`, a?.status, value.status);
      d.expect(`AccountBalance ${key} owner`, a?.owner, value.owner);
    }
    checks.push({ what: `AccountBalance: ${plural(rows.length, 'account')}`, problems: d.list });
  }

  {
    const d = differences();
    const rows = (await projections.get(OrderSummary).entries()).flatMap(({ value }) => (value.kind === 'order' ? [value] : []));
    d.expect('OrderSummary orders', model.orders.size, rows.length);
    for (const row of rows) {
      const o = model.orders.get(row.orderId);
      const c = o && model.customers.get(o.customerId);
      const totals = o && orderTotals(o);
      d.expect(`OrderSummary ${row.orderId} status`, o?.status, row.status);
      d.expect(`OrderSummary ${row.orderId} itemCount`, totals?.items, row.itemCount);
      d.expect(`OrderSummary ${row.orderId} total`, totals?.total, row.total);
      d.expect(`OrderSummary ${row.orderId} customerName`, c?.name, row.customerName);
      d.expect(`OrderSummary ${row.orderId} customerEmail`, c?.email, row.customerEmail);
      d.expect(`OrderSummary ${row.orderId} productNames`, o && [...new Set(o.lines.map((l) => l.name))].join(', '), row.productNames.join(', '));
    }
    checks.push({ what: `OrderSummary: ${plural(rows.length, 'order')}`, problems: d.list });
  }

  {
    const d = differences();
    const perCustomer = new Map<string, { orders: number; spent: number }>();
    for (const o of model.orders.values()) {
      const p = perCustomer.get(o.customerId) ?? { orders: 0, spent: 0 };
      perCustomer.set(o.customerId, { orders: p.orders + 1, spent: p.spent + (o.status === 'shipped' ? orderTotals(o).total : 0) });
    }
    const rows = await projections.get(CustomerOrders).entries();
    d.expect('CustomerOrders rows', model.customers.size, rows.length);
    for (const { key, value } of rows) {
      const p = perCustomer.get(key) ?? { orders: 0, spent: 0 };
      d.expect(`CustomerOrders ${key} email`, model.customers.get(key)?.email, value.email);
      d.expect(`CustomerOrders ${key} orderCount`, p.orders, value.orderCount);
      d.expect(`CustomerOrders ${key} totalSpent`, p.spent, value.totalSpent);
    }
    checks.push({ what: `CustomerOrders: ${plural(rows.length, 'customer')}`, problems: d.list });
  }

  const byStatus = new Map<AnalyticsStatus, { count: number; revenue: number }>();
  for (const o of model.orders.values()) {
    const s = byStatus.get(o.status) ?? { count: 0, revenue: 0 };
    byStatus.set(o.status, { count: s.count + 1, revenue: s.revenue + orderTotals(o).total });
  }
  const expectedCount = (status: AnalyticsStatus) => byStatus.get(status)?.count ?? 0;

  {
    const d = differences();
    const summary = (await projections.get(ShippingDashboard).get(SUMMARY_KEY)) as ShippingSummary | undefined;
    d.expect('ShippingDashboard awaiting', expectedCount('open'), summary?.awaiting ?? 0);
    d.expect('ShippingDashboard shipped', expectedCount('shipped'), summary?.shipped ?? 0);
    d.expect('ShippingDashboard cancelled', expectedCount('cancelled'), summary?.cancelled ?? 0);
    checks.push({ what: 'ShippingDashboard: awaiting, shipped, cancelled', problems: d.list });
  }

  {
    const d = differences();
    const analytics = projections.get(Analytics);
    for (const status of ['open', 'shipped', 'cancelled'] as const) {
      const row = (await analytics.get(statusKey(status))) as StatusStats | undefined;
      d.expect(`Analytics ${status} count`, expectedCount(status), row?.count ?? 0);
      d.expect(`Analytics ${status} revenue`, byStatus.get(status)?.revenue ?? 0, row?.revenue ?? 0);
    }
    checks.push({ what: 'Analytics: orders and revenue per status', problems: d.list });
  }

  return checks;
}
