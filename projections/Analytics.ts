import { defineProjection, type View } from '../src/index.js';
import type { OrderEvents } from './orderEvents.js';

/**
 * Where an order stands.
 *
 * @example
 * ```ts
 * const shipped = await analytics.get(statusKey('shipped' satisfies AnalyticsStatus));
 * ```
 */
export type AnalyticsStatus = 'open' | 'shipped' | 'cancelled';

/**
 * Orders currently in one status and the sum of their totals (cents).
 *
 * @example
 * ```ts
 * const { count, revenue } = (await analytics.get(statusKey('open'))) as StatusStats;
 * ```
 */
export type StatusStats = { status: AnalyticsStatus; count: number; revenue: number };

/**
 * What happened on one UTC day; `revenue` is the total of the orders shipped that day (cents).
 *
 * @example
 * ```ts
 * const today = (await analytics.get(dayKey('2024-05-01'))) as DayStats | undefined;
 * ```
 */
export type DayStats = { day: string; created: number; shipped: number; cancelled: number; revenue: number; itemsSold: number };

/**
 * Bookkeeping per order, so that its total can move between statuses.
 *
 * @example
 * ```ts
 * const order = (await analytics.get(orderKey('o-1'))) as OrderStats | undefined;
 * ```
 */
export type OrderStats = { status: AnalyticsStatus; total: number; itemCount: number };

/**
 * What the Analytics view stores, by key prefix: `status/`, `day/` and `order/`.
 *
 * @example
 * ```ts
 * for (const { key, value } of await projections.get(Analytics).entries({ prefix: 'status/' })) console.log(key, value as StatusStats);
 * ```
 */
export type AnalyticsValue = StatusStats | DayStats | OrderStats;

/**
 * The events Analytics consumes.
 *
 * @example
 * ```ts
 * const e: DomainEvent<'ItemAdded', AnalyticsEvents['ItemAdded']> = { type: 'ItemAdded', data: { quantity: 2, unitPrice: 450 } };
 * ```
 */
export type AnalyticsEvents = OrderEvents;

/** @example `await analytics.get(statusKey('shipped'))` */
export const statusKey = (status: AnalyticsStatus): string => `status/${status}`;
/** @example `await analytics.get(dayKey('2024-05-01'))` */
export const dayKey = (day: string): string => `day/${day}`;
/** @example `await analytics.get(orderKey('o-1'))` */
export const orderKey = (orderId: string): string => `order/${orderId}`;

const utcDay = (timestamp: number): string => new Date(timestamp).toISOString().slice(0, 10);

const onStatus = (view: View<AnalyticsValue>, status: AnalyticsStatus, count: number, revenue: number) =>
  view.update(statusKey(status), (v) => {
    const s = (v as StatusStats | undefined) ?? { status, count: 0, revenue: 0 };
    return { ...s, count: s.count + count, revenue: s.revenue + revenue };
  });

const onDay = (view: View<AnalyticsValue>, timestamp: number, change: Partial<Omit<DayStats, 'day'>>) => {
  const day = utcDay(timestamp);
  view.update(dayKey(day), (v) => {
    const d = (v as DayStats | undefined) ?? { day, created: 0, shipped: 0, cancelled: 0, revenue: 0, itemsSold: 0 };
    return {
      day,
      created: d.created + (change.created ?? 0),
      shipped: d.shipped + (change.shipped ?? 0),
      cancelled: d.cancelled + (change.cancelled ?? 0),
      revenue: d.revenue + (change.revenue ?? 0),
      itemsSold: d.itemsSold + (change.itemsSold ?? 0),
    };
  });
};

function close(view: View<AnalyticsValue>, orderId: string, to: AnalyticsStatus, timestamp: number) {
  const order = view.get(orderKey(orderId)) as OrderStats | undefined;
  if (!order) throw new Error(`order ${orderId} is unknown to Analytics`);
  view.put(orderKey(orderId), { ...order, status: to });
  onStatus(view, order.status, -1, -order.total);
  onStatus(view, to, 1, order.total);
  onDay(view, timestamp, to === 'shipped' ? { shipped: 1, revenue: order.total, itemsSold: order.itemCount } : { cancelled: 1 });
}

/**
 * Analytics: order counts and revenue per status (`status/<status>`) and per UTC day
 * (`day/<YYYY-MM-DD>`).
 *
 * @example
 * ```ts
 * const shipped = await projections.get(Analytics).get(statusKey('shipped')); // { status, count, revenue }
 * const days = await projections.get(Analytics).entries({ prefix: 'day/' });
 * ```
 */
export const Analytics = defineProjection<AnalyticsValue, AnalyticsEvents>({
  name: 'Analytics',
  from: ['Order'],
  handlers: {
    OrderCreated: (view, _event, envelope) => {
      view.put(orderKey(envelope.id), { status: 'open', total: 0, itemCount: 0 });
      onStatus(view, 'open', 1, 0);
      onDay(view, envelope.timestamp, { created: 1 });
    },
    ItemAdded: (view, event, envelope) => {
      const order = view.get(orderKey(envelope.id)) as OrderStats | undefined;
      if (!order) throw new Error(`order ${envelope.id} is unknown to Analytics`);
      const amount = event.data.quantity * event.data.unitPrice;
      view.put(orderKey(envelope.id), { ...order, total: order.total + amount, itemCount: order.itemCount + event.data.quantity });
      onStatus(view, order.status, 0, amount);
    },
    OrderShipped: (view, _event, envelope) => close(view, envelope.id, 'shipped', envelope.timestamp),
    OrderCancelled: (view, _event, envelope) => close(view, envelope.id, 'cancelled', envelope.timestamp),
  },
});
