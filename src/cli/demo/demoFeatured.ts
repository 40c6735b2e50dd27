import type { DemoModel, ModelAccount, ModelOrder } from './demoModel.js';

/**
 * The aggregates the demo shows in detail. Any of them is undefined when the workload was too
 * small to create one.
 *
 * @example
 * ```ts
 * const { order, customer, account } = pickFeatured(workload.model);
 * ```
 */
export type Featured = {
  readonly order: string | undefined;
  readonly customer: string | undefined;
  readonly account: string | undefined;
};

function firstBy<T>(items: Iterable<T>, score: (item: T) => number): T | undefined {
  let best: T | undefined;
  let bestScore = 0;
  for (const item of items) {
    const s = score(item);
    if (s > bestScore) {
      best = item;
      bestScore = s;
    }
  }
  return best;
}

/**
 * Picks, from the model's final state, the aggregates with the best story: a shipped order of a
 * few lines whose customer changed their email after ordering (so the denormalised email in
 * OrderSummary visibly follows), that customer, and an open account that was overdrawn at least
 * once (the busiest such). Ties go to the first created, so a seed always picks the same ones.
 *
 * @example
 * ```ts
 * const featured = pickFeatured(createDemoWorkload({ commands: 2_000, seed: 7 }).model);
 * ```
 */
export function pickFeatured(model: DemoModel): Featured {
  const orderScore = (o: ModelOrder): number => {
    const customer = model.customers.get(o.customerId);
    const lines = o.lines.length >= 2 && o.lines.length <= 4;
    // One or two changes after ordering show the copy following without flooding the live feed.
    const followed = customer !== undefined && customer.lastEmailChangeStep > o.createdStep && customer.emailChanges <= 2;
    return 1 + (o.status === 'shipped' ? 4 : 0) + (lines ? 2 : 0) + (followed ? 8 : 0);
  };
  const accountScore = (a: ModelAccount): number => 1 + (a.status === 'open' ? 2 : 0) + (a.overdrawn > 0 ? 4 : 0) + a.version / 1e6;
  const order = firstBy(model.orders.values(), orderScore);
  const customer = order?.customerId ?? model.customers.keys().next().value;
  return { order: order?.id, customer, account: firstBy(model.accounts.values(), accountScore)?.id };
}
