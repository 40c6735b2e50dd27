/**
 * The Order events, as the order projections read them (Analytics and ShippingDashboard need no
 * more of ItemAdded than its quantity and price).
 *
 * @example
 * ```ts
 * const e: DomainEvent<'ItemAdded', OrderEvents['ItemAdded']> = { type: 'ItemAdded', data: { quantity: 2, unitPrice: 450 } };
 * ```
 */
export type OrderEvents = {
  OrderCreated: { customerId: string };
  ItemAdded: { quantity: number; unitPrice: number };
  OrderShipped: Record<string, never>;
  OrderCancelled: { reason?: string };
};
