/**
 * The write-model state the model expects `app.state(aggregate, id)` to report: the state's name,
 * the context the domain documents for each aggregate, and the version (count of its events).
 */
import { streamKey, type World } from './world.js';

export type ExpectedAggregateState = { value: string; context: Record<string, unknown>; version: number };

export function expectedAggregateState(world: World, aggregate: string, id: string): ExpectedAggregateState | undefined {
  const version = world.streams.get(streamKey(aggregate, id))?.version ?? 0;
  if (version === 0) return undefined;
  switch (aggregate) {
    case 'Account': {
      const a = world.accounts.get(id)!;
      return { value: a.status, context: { owner: a.owner, balance: a.balance }, version };
    }
    case 'Order': {
      const o = world.orders.get(id)!;
      return {
        value: o.status,
        context: { customerId: o.customerId, items: o.items.map((i) => ({ ...i })), shippedAt: o.shippedAt, cancelledAt: o.cancelledAt },
        version,
      };
    }
    case 'Customer': {
      const c = world.customers.get(id)!;
      return { value: 'registered', context: { name: c.name, email: c.email, phone: c.phone, address: c.address && { ...c.address } }, version };
    }
    default:
      throw new Error(`the model has no aggregate ${aggregate}`);
  }
}
