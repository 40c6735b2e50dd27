import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate, reject, type AggregateTypes } from '../src/index.js';

const item = z.object({
  sku: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(200),
  quantity: z.number().int().positive().max(10_000),
  /** Cents. */
  unitPrice: z.number().int().nonnegative(),
});

const commands = {
  CreateOrder: z.object({ customerId: z.string().min(1).max(128) }),
  AddItem: item,
  ShipOrder: z.object({}),
  CancelOrder: z.object({ reason: z.string().max(500).optional() }),
  /** Hands the order to fulfilment, to be paid from this account. */
  PlaceOrder: z.object({ accountId: z.string().min(1).max(128) }),
};

const events = {
  OrderCreated: z.object({ customerId: z.string() }),
  ItemAdded: item,
  /** When it shipped is the envelope's timestamp. */
  OrderShipped: z.object({}),
  OrderCancelled: z.object({ reason: z.string().optional() }),
  /** What fulfilment needs: who pays, how much (cents), and which stock. */
  OrderPlaced: z.object({ accountId: z.string(), total: z.number().int().nonnegative(), items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })) }),
};

type Item = z.infer<typeof item>;
type Context = { customerId: string; items: Item[]; shippedAt: number | null; cancelledAt: number | null };

const shipped = (id: string) => `order ${id} has already shipped`;
const cancelled = (id: string) => `order ${id} was cancelled`;

const machine = setup({
  types: {} as AggregateTypes<typeof commands, typeof events, Context>,
}).createMachine({
  id: 'Order',
  context: { customerId: '', items: [], shippedAt: null, cancelledAt: null },
  initial: 'new',
  states: {
    new: {
      on: {
        CreateOrder: { actions: emit(({ event }) => ({ type: 'OrderCreated', data: { customerId: event.payload.customerId } })) },
        OrderCreated: { target: 'open', actions: assign({ customerId: ({ event }) => event.data.customerId }) },
      },
    },
    open: {
      on: {
        AddItem: { actions: emit(({ event }) => ({ type: 'ItemAdded', data: event.payload })) },
        ShipOrder: [
          { guard: ({ context }) => context.items.length > 0, actions: emit({ type: 'OrderShipped', data: {} }) },
          { actions: reject('EmptyOrder', ({ event }) => `order ${event.id} has no items to ship`) },
        ],
        CancelOrder: {
          actions: emit(({ event }) => ({
            type: 'OrderCancelled',
            data: event.payload.reason === undefined ? {} : { reason: event.payload.reason },
          })),
        },
        PlaceOrder: [
          {
            guard: ({ context }) => context.items.length > 0,
            actions: emit(({ context, event }) => ({
              type: 'OrderPlaced',
              data: {
                accountId: event.payload.accountId,
                total: context.items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0),
                items: context.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
              },
            })),
          },
          { actions: reject('EmptyOrder', ({ event }) => `order ${event.id} has no items to place`) },
        ],
        ItemAdded: { actions: assign({ items: ({ context, event }) => [...context.items, event.data] }) },
        OrderPlaced: { target: 'placed' },
        OrderShipped: { target: 'shipped', actions: assign({ shippedAt: ({ event }) => event.timestamp }) },
        OrderCancelled: { target: 'cancelled', actions: assign({ cancelledAt: ({ event }) => event.timestamp }) },
      },
    },
    placed: {
      on: {
        AddItem: { actions: reject('AlreadyPlaced', ({ event }) => `order ${event.id} is placed; it can no longer change`) },
        PlaceOrder: { actions: reject('AlreadyPlaced', ({ event }) => `order ${event.id} is already placed`) },
        ShipOrder: { actions: emit({ type: 'OrderShipped', data: {} }) },
        CancelOrder: {
          actions: emit(({ event }) => ({
            type: 'OrderCancelled',
            data: event.payload.reason === undefined ? {} : { reason: event.payload.reason },
          })),
        },
        OrderShipped: { target: 'shipped', actions: assign({ shippedAt: ({ event }) => event.timestamp }) },
        OrderCancelled: { target: 'cancelled', actions: assign({ cancelledAt: ({ event }) => event.timestamp }) },
      },
    },
    shipped: {
      on: {
        AddItem: { actions: reject('AlreadyShipped', ({ event }) => shipped(event.id)) },
        ShipOrder: { actions: reject('AlreadyShipped', ({ event }) => shipped(event.id)) },
        CancelOrder: { actions: reject('AlreadyShipped', ({ event }) => `${shipped(event.id)}; it can no longer be cancelled`) },
        PlaceOrder: { actions: reject('AlreadyShipped', ({ event }) => shipped(event.id)) },
      },
    },
    cancelled: {
      on: {
        AddItem: { actions: reject('OrderCancelled', ({ event }) => cancelled(event.id)) },
        ShipOrder: { actions: reject('OrderCancelled', ({ event }) => cancelled(event.id)) },
        CancelOrder: { actions: reject('OrderCancelled', ({ event }) => `${cancelled(event.id)} already`) },
        PlaceOrder: { actions: reject('OrderCancelled', ({ event }) => cancelled(event.id)) },
      },
    },
  },
});

/**
 * A customer's order: CreateOrder, AddItem while open, then ShipOrder (not when empty:
 * `EmptyOrder`) or CancelOrder. PlaceOrder (not when empty) hands it to fulfilment (the
 * Fulfilment process): a placed order takes no more items, and ships or is cancelled. A shipped order refuses everything with `AlreadyShipped`, a
 * cancelled one with `OrderCancelled`. Prices are cents.
 *
 * @example
 * ```ts
 * await app.send({ type: 'AddItem', aggregate: 'Order', id: 'o-1', payload: { sku: 'TEA-1', name: 'Green tea', quantity: 2, unitPrice: 450 } });
 * ```
 */
export const Order = defineAggregate({ name: 'Order', machine, commands, events });
