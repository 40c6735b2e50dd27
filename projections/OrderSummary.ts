import { defineProjection, type View } from '../src/index.js';

/**
 * One line of an order; prices are integer cents.
 *
 * @example
 * ```ts
 * const line: OrderLine = { sku: 'TEA-1', name: 'Green tea', quantity: 2, unitPrice: 450 };
 * ```
 */
export type OrderLine = { sku: string; name: string; quantity: number; unitPrice: number };

/**
 * Where an order stands.
 *
 * @example
 * ```ts
 * if (summary.status === ('shipped' satisfies OrderStatus)) console.log(summary.shippedAt);
 * ```
 */
export type OrderStatus = 'open' | 'shipped' | 'cancelled';

/**
 * An order as a screen shows it: the customer's name and email are copied in (denormalised, and
 * kept up to date when the customer changes them), the item count and total are computed.
 */
export type OrderSummaryRow = {
  kind: 'order';
  orderId: string;
  customerId: string;
  customerName: string | null;
  customerEmail: string | null;
  lines: OrderLine[];
  /** Distinct product names, in the order they were first added. */
  productNames: string[];
  /** Sum of the quantities. */
  itemCount: number;
  /** Cents. */
  total: number;
  status: OrderStatus;
  createdAt: number;
  shippedAt: number | null;
  cancelledAt: number | null;
  cancelReason: string | null;
};

/**
 * The customer details this view copies into orders, kept under {@link customerKey}.
 *
 * @example
 * ```ts
 * const customer = (await projections.get(OrderSummary).get(customerKey('c-1'))) as CustomerRow | undefined;
 * ```
 */
export type CustomerRow = { kind: 'customer'; customerId: string; name: string | null; email: string | null };

/**
 * What the OrderSummary view stores: order rows (keyed by order id) and customer rows.
 *
 * @example
 * ```ts
 * const value: OrderSummaryValue | undefined = await projections.get(OrderSummary).get('o-1');
 * ```
 */
export type OrderSummaryValue = OrderSummaryRow | CustomerRow;

/**
 * The events OrderSummary consumes (it declares them itself: projections never import the write side).
 *
 * @example
 * ```ts
 * const e: DomainEvent<'UserEmailChanged', OrderSummaryEvents['UserEmailChanged']> = { type: 'UserEmailChanged', data: { email: 'ada@example.org' } };
 * ```
 */
export type OrderSummaryEvents = {
  /** Personal fields read as null once the customer is forgotten. */
  CustomerRegistered: { name: string | null; email: string | null; phone?: string | null };
  UserEmailChanged: { email: string | null };
  OrderCreated: { customerId: string };
  ItemAdded: OrderLine;
  OrderShipped: Record<string, never>;
  OrderCancelled: { reason?: string };
};

/**
 * Key of a customer's row in the OrderSummary view.
 *
 * @example
 * ```ts
 * const customer = await projections.get(OrderSummary).get(customerKey('c-1'));
 * ```
 */
// "." can never occur in an aggregate id, so no order id can collide with a customer row.
export const customerKey = (customerId: string): string => `customer.${customerId}`;

function order(view: View<OrderSummaryValue>, orderId: string): OrderSummaryRow {
  const row = view.get(orderId);
  if (row?.kind !== 'order') throw new Error(`no order ${orderId} in the view`);
  return row;
}

// Copies the customer's current details into each of their orders, found through the index.
function copyCustomer(view: View<OrderSummaryValue>, customerId: string, details: { name?: string | null; email?: string | null }) {
  for (const orderId of view.index('byCustomer').keys(customerId)) {
    const row = order(view, orderId);
    view.put(orderId, {
      ...row,
      ...(details.name !== undefined ? { customerName: details.name } : {}),
      ...(details.email !== undefined ? { customerEmail: details.email } : {}),
    });
  }
}

/**
 * OrderSummary: one row per order with its customer's name and email, item count, total,
 * product names, status and `shippedAt`. Keys: the order id; customers under `customer.<id>` (no id contains ".");
 * index `byCustomer` (customer id → order ids).
 *
 * @example
 * ```ts
 * const summary = await projections.get(OrderSummary).get('o-1', { minPosition: result.position });
 * const orders = await projections.get(OrderSummary).lookup('byCustomer', 'c-1');
 * ```
 */
export const OrderSummary = defineProjection<OrderSummaryValue, OrderSummaryEvents>({
  name: 'OrderSummary',
  from: ['Order', 'Customer'],
  indexes: {
    byCustomer: (row) => (row.kind === 'order' ? row.customerId : undefined),
  },
  handlers: {
    CustomerRegistered: (view, event, envelope) => {
      const { name, email } = event.data;
      view.put(customerKey(envelope.id), { kind: 'customer', customerId: envelope.id, name, email });
      copyCustomer(view, envelope.id, { name, email });
    },
    UserEmailChanged: (view, event, envelope) => {
      const { email } = event.data;
      const customer = view.get(customerKey(envelope.id));
      if (customer?.kind === 'customer') view.put(customerKey(envelope.id), { ...customer, email });
      copyCustomer(view, envelope.id, { email });
    },
    OrderCreated: (view, event, envelope) => {
      const { customerId } = event.data;
      const customer = view.get(customerKey(customerId));
      view.put(envelope.id, {
        kind: 'order',
        orderId: envelope.id,
        customerId,
        customerName: customer?.kind === 'customer' ? customer.name : null,
        customerEmail: customer?.kind === 'customer' ? customer.email : null,
        lines: [],
        productNames: [],
        itemCount: 0,
        total: 0,
        status: 'open',
        createdAt: envelope.timestamp,
        shippedAt: null,
        cancelledAt: null,
        cancelReason: null,
      });
    },
    ItemAdded: (view, event, envelope) => {
      const row = order(view, envelope.id);
      const line = event.data;
      view.put(envelope.id, {
        ...row,
        lines: [...row.lines, line],
        productNames: row.productNames.includes(line.name) ? row.productNames : [...row.productNames, line.name],
        itemCount: row.itemCount + line.quantity,
        total: row.total + line.quantity * line.unitPrice,
      });
    },
    OrderShipped: (view, _event, envelope) => {
      view.put(envelope.id, { ...order(view, envelope.id), status: 'shipped', shippedAt: envelope.timestamp });
    },
    OrderCancelled: (view, event, envelope) => {
      view.put(envelope.id, {
        ...order(view, envelope.id),
        status: 'cancelled',
        cancelledAt: envelope.timestamp,
        cancelReason: event.data.reason ?? null,
      });
    },
  },
});
