import { defineProjection, type View } from '../src/index.js';

/**
 * Where an order stands.
 *
 * @example
 * ```ts
 * const open = row.orders.filter((o) => o.status === ('open' satisfies CustomerOrderStatus));
 * ```
 */
export type CustomerOrderStatus = 'open' | 'shipped' | 'cancelled';

/**
 * One order in a customer's list. Amounts are integer cents.
 *
 * @example
 * ```ts
 * const [first]: CustomerOrder[] = (await projections.get(CustomerOrders).get('c-1'))!.orders;
 * ```
 */
export type CustomerOrder = {
  orderId: string;
  status: CustomerOrderStatus;
  itemCount: number;
  total: number;
  createdAt: number;
};

/**
 * A customer with their orders, in the order they were created.
 *
 * @example
 * ```ts
 * const row: CustomerOrdersRow | undefined = await projections.get(CustomerOrders).get('c-1');
 * ```
 */
export type CustomerOrdersRow = {
  customerId: string;
  /** null until the customer's registration has been seen. */
  name: string | null;
  email: string | null;
  orders: CustomerOrder[];
  orderCount: number;
  /** Total of the shipped orders, in cents. */
  totalSpent: number;
};

/**
 * The events CustomerOrders consumes.
 *
 * @example
 * ```ts
 * const e: DomainEvent<'OrderCreated', CustomerOrdersEvents['OrderCreated']> = { type: 'OrderCreated', data: { customerId: 'c-1' } };
 * ```
 */
export type CustomerOrdersEvents = {
  /** Personal fields read as null once the customer is forgotten. */
  CustomerRegistered: { name: string | null; email: string | null };
  UserEmailChanged: { email: string | null };
  OrderCreated: { customerId: string };
  ItemAdded: { quantity: number; unitPrice: number };
  OrderShipped: Record<string, never>;
  OrderCancelled: { reason?: string };
};

const empty = (customerId: string): CustomerOrdersRow => ({
  customerId,
  name: null,
  email: null,
  orders: [],
  orderCount: 0,
  totalSpent: 0,
});

// The customer row holding an order, found through the multi-valued `byOrder` index.
function withOrder(
  view: View<CustomerOrdersRow>,
  orderId: string,
  change: (order: CustomerOrder, row: CustomerOrdersRow) => { order: CustomerOrder; totalSpent?: number },
) {
  const [customerId] = view.index('byOrder').keys(orderId);
  if (customerId === undefined) throw new Error(`order ${orderId} belongs to no customer in the view`);
  view.update(customerId, (row) => {
    const current = row!;
    let totalSpent = current.totalSpent;
    const orders = current.orders.map((o) => {
      if (o.orderId !== orderId) return o;
      const next = change(o, current);
      totalSpent = next.totalSpent ?? totalSpent;
      return next.order;
    });
    return { ...current, orders, totalSpent };
  });
}

/**
 * CustomerOrders: orders by customer. Key: the customer id. Index `byOrder` (order id → the
 * customer id), which the handlers use to find an order's customer.
 *
 * @example
 * ```ts
 * const { orders, totalSpent } = (await projections.get(CustomerOrders).get('c-1'))!;
 * ```
 */
export const CustomerOrders = defineProjection<CustomerOrdersRow, CustomerOrdersEvents>({
  name: 'CustomerOrders',
  from: ['Customer', 'Order'],
  indexes: {
    byOrder: (row) => row.orders.map((o) => o.orderId),
  },
  handlers: {
    CustomerRegistered: (view, event, envelope) => {
      view.update(envelope.id, (row) => ({ ...(row ?? empty(envelope.id)), name: event.data.name, email: event.data.email }));
    },
    UserEmailChanged: (view, event, envelope) => {
      view.update(envelope.id, (row) => ({ ...(row ?? empty(envelope.id)), email: event.data.email }));
    },
    OrderCreated: (view, event, envelope) => {
      view.update(event.data.customerId, (row) => {
        const current = row ?? empty(event.data.customerId);
        const order: CustomerOrder = { orderId: envelope.id, status: 'open', itemCount: 0, total: 0, createdAt: envelope.timestamp };
        return { ...current, orders: [...current.orders, order], orderCount: current.orderCount + 1 };
      });
    },
    ItemAdded: (view, event, envelope) => {
      withOrder(view, envelope.id, (o) => ({
        order: { ...o, itemCount: o.itemCount + event.data.quantity, total: o.total + event.data.quantity * event.data.unitPrice },
      }));
    },
    OrderShipped: (view, _event, envelope) => {
      withOrder(view, envelope.id, (o, row) => ({ order: { ...o, status: 'shipped' }, totalSpent: row.totalSpent + o.total }));
    },
    OrderCancelled: (view, _event, envelope) => {
      withOrder(view, envelope.id, (o) => ({ order: { ...o, status: 'cancelled' } }));
    },
  },
});
