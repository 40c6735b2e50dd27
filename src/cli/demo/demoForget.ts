import { Customer } from '../../../actors/index.js';
import { CustomerOrders, OrderSummary, exampleProjections, type CustomerOrdersRow, type OrderSummaryRow } from '../../../projections/index.js';
import type { AggregateState } from '../../aggregate/aggregateActor.js';
import type { App } from '../../createApp.js';
import type { Check } from './demoVerify.js';
import type { DemoViews } from './demoViews.js';

/**
 * What the demo shows of a forgotten customer: the write model and the views after
 * `app.forget(id)` (and, with views, their rebuild).
 *
 * @example
 * ```ts
 * const { report, check } = await forgetCustomer(app, views, 'c-12', 'o-40');
 * ```
 */
export type ForgottenReport = {
  readonly id: string;
  readonly state: AggregateState<{ name: string | null; email: string | null; phone: string | null; address: unknown }> | undefined;
  readonly order: OrderSummaryRow | undefined;
  readonly orders: CustomerOrdersRow | undefined;
};

/**
 * Forgets one customer (crypto-shredding: its key is deleted, the log is untouched), rebuilds the
 * demo's views that copy customer data, and checks that every reader now sees null in the
 * personal fields while the rest of the row is intact.
 *
 * @example
 * ```ts
 * checks.push((await forgetCustomer(engine.app, views, featured.customer, featured.order)).check);
 * ```
 */
export async function forgetCustomer(app: App, views: DemoViews | undefined, id: string, order: string | undefined): Promise<{ report: ForgottenReport; check: Check }> {
  await app.forget(id);
  if (views) {
    // These views are the demo's own (not createApp's), so it rebuilds them itself, as forget does for an app's projections.
    for (const p of exampleProjections.filter((d) => d.from.includes('Customer'))) await views.projections.get(p).rebuild();
  }
  const state = await app.state(Customer, id);
  const summary = views && order !== undefined ? await views.projections.get(OrderSummary).get(order) : undefined;
  const orders = views ? await views.projections.get(CustomerOrders).get(id) : undefined;
  const problems: string[] = [];
  const ctx = state?.context;
  for (const field of ['name', 'email', 'phone'] as const) if (ctx?.[field] !== null) problems.push(`Customer ${id} ${field}: expected null, got ${JSON.stringify(ctx?.[field])}`);
  if (summary?.kind === 'order' && (summary.customerName !== null || summary.customerEmail !== null)) problems.push(`OrderSummary ${order}: the customer's name or email is still there`);
  if (orders !== undefined && (orders.name !== null || orders.email !== null)) problems.push(`CustomerOrders ${id}: the name or email is still there`);
  if (state === undefined) problems.push(`Customer ${id}: no state after forget`);
  return {
    report: { id, state, order: summary?.kind === 'order' ? summary : undefined, orders },
    check: { what: `forget(${id}): personal fields read as null in state and views`, problems },
  };
}
