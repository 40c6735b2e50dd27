import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate, reject, type AggregateTypes } from '../src/index.js';

const quantity = z.number().int().positive().max(1_000_000);
const order = z.string().min(1).max(128);

const commands = {
  Restock: z.object({ quantity }),
  ReserveStock: z.object({ order, quantity }),
  ReleaseStock: z.object({ order }),
};

const events = {
  Restocked: z.object({ quantity }),
  StockReserved: z.object({ order: z.string(), quantity }),
  StockReleased: z.object({ order: z.string(), quantity }),
};

type Context = { available: number; reservations: Record<string, number> };

const machine = setup({
  types: {} as AggregateTypes<typeof commands, typeof events, Context>,
}).createMachine({
  id: 'Inventory',
  context: { available: 0, reservations: {} },
  on: {
    Restock: { actions: emit(({ event }) => ({ type: 'Restocked', data: { quantity: event.payload.quantity } })) },
    ReserveStock: [
      // A second reservation for the same order is refused, so that a retried one cannot take stock twice.
      { guard: ({ context, event }) => Object.hasOwn(context.reservations, event.payload.order), actions: reject('AlreadyReserved', ({ event }) => `stock is already reserved for order ${event.payload.order}`) },
      {
        guard: ({ context, event }) => event.payload.quantity <= context.available,
        actions: emit(({ event }) => ({ type: 'StockReserved', data: { order: event.payload.order, quantity: event.payload.quantity } })),
      },
      { actions: reject('OutOfStock', ({ context, event }) => `cannot reserve ${event.payload.quantity} of ${event.id}: ${context.available} available`) },
    ],
    ReleaseStock: [
      {
        guard: ({ context, event }) => Object.hasOwn(context.reservations, event.payload.order),
        actions: emit(({ context, event }) => ({ type: 'StockReleased', data: { order: event.payload.order, quantity: context.reservations[event.payload.order]! } })),
      },
      { actions: reject('NoReservation', ({ event }) => `no stock of ${event.id} is reserved for order ${event.payload.order}`) },
    ],
    Restocked: { actions: assign({ available: ({ context, event }) => context.available + event.data.quantity }) },
    StockReserved: {
      actions: assign({
        available: ({ context, event }) => context.available - event.data.quantity,
        reservations: ({ context, event }) => ({ ...context.reservations, [event.data.order]: event.data.quantity }),
      }),
    },
    StockReleased: {
      actions: assign({
        available: ({ context, event }) => context.available + event.data.quantity,
        reservations: ({ context, event }) => Object.fromEntries(Object.entries(context.reservations).filter(([o]) => o !== event.data.order)),
      }),
    },
  },
});

/**
 * The stock of one SKU (the id): Restock, ReserveStock for an order (never below zero:
 * `OutOfStock`; once per order: `AlreadyReserved`), ReleaseStock of an order's reservation.
 *
 * @example
 * ```ts
 * await app.send({ type: 'ReserveStock', aggregate: 'Inventory', id: 'TEA-1', payload: { order: 'o-1', quantity: 2 } });
 * ```
 */
export const Inventory = defineAggregate({ name: 'Inventory', machine, commands, events });
