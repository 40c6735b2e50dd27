import { defineProjection, type View } from '../src/index.js';
import type { OrderEvents } from './orderEvents.js';

/**
 * An order waiting to be shipped. Amounts are integer cents.
 *
 * @example
 * ```ts
 * const awaiting = (await dashboard.entries({ prefix: AWAITING_PREFIX })).map((e) => e.value as AwaitingShipment);
 * ```
 */
export type AwaitingShipment = { orderId: string; customerId: string; itemCount: number; total: number; createdAt: number };

/**
 * Orders shipped on one UTC day.
 *
 * @example
 * ```ts
 * const today = (await dashboard.get(shippedKey(utcDay(Date.now())))) as ShippedDay | undefined;
 * ```
 */
export type ShippedDay = { day: string; count: number; total: number };

/**
 * Counts across all orders.
 *
 * @example
 * ```ts
 * const { awaiting, shipped } = (await dashboard.get(SUMMARY_KEY)) as ShippingSummary;
 * ```
 */
export type ShippingSummary = { awaiting: number; shipped: number; cancelled: number };

/**
 * What the ShippingDashboard view stores, by key prefix (see {@link awaitingKey}, {@link shippedKey}).
 *
 * @example
 * ```ts
 * const value: ShippingDashboardValue | undefined = await projections.get(ShippingDashboard).get(SUMMARY_KEY);
 * ```
 */
export type ShippingDashboardValue = AwaitingShipment | ShippedDay | ShippingSummary;

/**
 * The events ShippingDashboard consumes.
 *
 * @example
 * ```ts
 * const e: DomainEvent<'OrderShipped', ShippingDashboardEvents['OrderShipped']> = { type: 'OrderShipped', data: {} };
 * ```
 */
export type ShippingDashboardEvents = OrderEvents;

/**
 * The UTC day of a timestamp, `YYYY-MM-DD`.
 *
 * @example
 * ```ts
 * utcDay(Date.UTC(2024, 4, 1, 23, 59)); // '2024-05-01'
 * ```
 */
export const utcDay = (timestamp: number): string => new Date(timestamp).toISOString().slice(0, 10);

/**
 * Key of an order awaiting shipment; list them all with `entries({ prefix: AWAITING_PREFIX })`.
 *
 * @example
 * ```ts
 * const awaiting = await dashboard.entries({ prefix: AWAITING_PREFIX });
 * ```
 */
export const AWAITING_PREFIX = 'awaiting/';
/** @example `await dashboard.get(awaitingKey('o-1'))` */
export const awaitingKey = (orderId: string): string => `${AWAITING_PREFIX}${orderId}`;
/** @example `await dashboard.get(shippedKey(utcDay(Date.now())))` — shipped today */
export const shippedKey = (day: string): string => `shipped/${day}`;
/** Key of the {@link ShippingSummary} row. @example `await dashboard.get(SUMMARY_KEY)` */
export const SUMMARY_KEY = 'summary';

const bump = (view: View<ShippingDashboardValue>, field: keyof ShippingSummary, by: number) =>
  view.update(SUMMARY_KEY, (s) => {
    const summary = (s as ShippingSummary | undefined) ?? { awaiting: 0, shipped: 0, cancelled: 0 };
    return { ...summary, [field]: summary[field] + by };
  });

/**
 * ShippingDashboard: orders awaiting shipment (`awaiting/<orderId>`), orders shipped per UTC day
 * (`shipped/<YYYY-MM-DD>`, so "shipped today" is one get) and a `summary` of counts.
 *
 * @example
 * ```ts
 * const dashboard = projections.get(ShippingDashboard);
 * const today = await dashboard.get(shippedKey(utcDay(Date.now())));
 * const awaiting = await dashboard.entries({ prefix: AWAITING_PREFIX });
 * ```
 */
export const ShippingDashboard = defineProjection<ShippingDashboardValue, ShippingDashboardEvents>({
  name: 'ShippingDashboard',
  from: ['Order'],
  handlers: {
    OrderCreated: (view, event, envelope) => {
      view.put(awaitingKey(envelope.id), {
        orderId: envelope.id,
        customerId: event.data.customerId,
        itemCount: 0,
        total: 0,
        createdAt: envelope.timestamp,
      });
      bump(view, 'awaiting', 1);
    },
    ItemAdded: (view, event, envelope) => {
      const key = awaitingKey(envelope.id);
      const row = view.get(key) as AwaitingShipment | undefined;
      if (!row) throw new Error(`order ${envelope.id} is not awaiting shipment`);
      view.put(key, { ...row, itemCount: row.itemCount + event.data.quantity, total: row.total + event.data.quantity * event.data.unitPrice });
    },
    OrderShipped: (view, _event, envelope) => {
      const key = awaitingKey(envelope.id);
      const row = view.get(key) as AwaitingShipment | undefined;
      if (!row) throw new Error(`order ${envelope.id} is not awaiting shipment`);
      view.delete(key);
      const day = utcDay(envelope.timestamp);
      view.update(shippedKey(day), (d) => {
        const shipped = (d as ShippedDay | undefined) ?? { day, count: 0, total: 0 };
        return { ...shipped, count: shipped.count + 1, total: shipped.total + row.total };
      });
      bump(view, 'awaiting', -1);
      bump(view, 'shipped', 1);
    },
    OrderCancelled: (view, _event, envelope) => {
      const key = awaitingKey(envelope.id);
      if (!view.has(key)) return;
      view.delete(key);
      bump(view, 'awaiting', -1);
      bump(view, 'cancelled', 1);
    },
  },
});
