import { assign, setup } from 'xstate';
import { defineProcess, sendCommand, type CommandAnswerEvent, type EventEnvelope, type ProcessCommand } from '../src/index.js';

type Line = { sku: string; quantity: number };
type Placed = EventEnvelope & { type: 'OrderPlaced'; data: { accountId: string; total: number; items: Line[] } };
type Input = Placed | (EventEnvelope & { type: 'OrderShipped' }) | CommandAnswerEvent;

type Context = {
  order: string;
  accountId: string;
  total: number;
  items: Line[];
  /** Reservations sent and not answered yet. */
  pending: number;
  reserved: Line[];
  outOfStock: boolean;
  paid: boolean;
  reason: string;
};

/**
 * Options of {@link createFulfilment}.
 *
 * @example
 * ```ts
 * const Fulfilment = createFulfilment({ shipWithin: 60_000 });
 * ```
 */
export type FulfilmentOptions = {
  /** Milliseconds from OrderPlaced within which the order must ship, or it is cancelled and refunded. Default 10 minutes. */
  shipWithin?: number;
};

// One line per SKU: the inventory takes one reservation per order.
function merge(items: readonly Line[]): Line[] {
  const by = new Map<string, number>();
  for (const { sku, quantity } of items) by.set(sku, (by.get(sku) ?? 0) + quantity);
  return [...by].map(([sku, quantity]) => ({ sku, quantity }));
}

const answerTo = (type: string) => ({ event }: { event: Input }) => 'command' in event && event.command.type === type;
const reservedLine = (event: Input): Line => {
  const payload = (event as CommandAnswerEvent).command.payload as { quantity: number };
  return { sku: (event as CommandAnswerEvent).command.id, quantity: payload.quantity };
};

/**
 * The order-fulfilment process manager, one instance per order. On OrderPlaced it reserves the
 * stock of each SKU (Inventory), then takes the payment (Withdraw from the order's account), then
 * waits for the order to ship. If a SKU is out of stock or the funds are insufficient, it cancels
 * the order with the reason, then releases what it reserved (and refunds what it took). If the
 * order has not shipped `shipWithin` after it was placed, it cancels it, releases the stock and
 * refunds the payment; if the order shipped meanwhile (the cancel is refused `AlreadyShipped`),
 * it is done.
 *
 * @example
 * ```ts
 * const app = await createApp({ engine: 'embedded', dataDir, aggregates: [Order, Account, Inventory], processes: [createFulfilment({ shipWithin: 60_000 })] });
 * ```
 */
export function createFulfilment(options: FulfilmentOptions = {}) {
  const shipWithin = options.shipWithin ?? 10 * 60_000;
  const machine = setup({
    types: {} as { context: Context; events: Input },
    delays: { shipWithin },
  }).createMachine({
    id: 'Fulfilment',
    context: { order: '', accountId: '', total: 0, items: [], pending: 0, reserved: [], outOfStock: false, paid: false, reason: '' },
    initial: 'waiting',
    states: {
      waiting: {
        on: {
          OrderPlaced: {
            target: 'active',
            actions: [
              assign(({ event }) => {
                const items = merge(event.data.items);
                return { order: event.id, accountId: event.data.accountId, total: event.data.total, items, pending: items.length };
              }),
              sendCommand(({ context }) =>
                context.items.map((line): ProcessCommand => ({ type: 'ReserveStock', aggregate: 'Inventory', id: line.sku, payload: { order: context.order, quantity: line.quantity } })),
              ),
            ],
          },
        },
      },
      active: {
        initial: 'reserving',
        after: { shipWithin: { target: 'cancelling', actions: assign({ reason: 'NotShippedInTime' }) } },
        on: { OrderShipped: { target: 'shipped' } },
        states: {
          reserving: {
            always: [
              { guard: ({ context }) => context.pending === 0 && context.outOfStock, target: '#Fulfilment.cancelling', actions: assign({ reason: 'OutOfStock' }) },
              { guard: ({ context }) => context.pending === 0 && context.total === 0, target: 'awaitingShipment' },
              {
                guard: ({ context }) => context.pending === 0,
                target: 'paying',
                actions: sendCommand(({ context }) => ({ type: 'Withdraw', aggregate: 'Account', id: context.accountId, payload: { amount: context.total } })),
              },
            ],
            on: {
              CommandSucceeded: {
                guard: answerTo('ReserveStock'),
                actions: assign(({ context, event }) => ({ pending: context.pending - 1, reserved: [...context.reserved, reservedLine(event)] })),
              },
              CommandRejected: { guard: answerTo('ReserveStock'), actions: assign(({ context }) => ({ pending: context.pending - 1, outOfStock: true })) },
              CommandFailed: { guard: answerTo('ReserveStock'), actions: assign(({ context }) => ({ pending: context.pending - 1, outOfStock: true })) },
            },
          },
          paying: {
            on: {
              CommandSucceeded: { guard: answerTo('Withdraw'), target: 'awaitingShipment', actions: assign({ paid: true }) },
              CommandRejected: {
                guard: answerTo('Withdraw'),
                target: '#Fulfilment.cancelling',
                actions: assign(({ event }) => ({ reason: event.type === 'CommandRejected' ? `${event.reason}: ${event.message}` : 'PaymentRejected' })),
              },
              CommandFailed: { guard: answerTo('Withdraw'), target: '#Fulfilment.cancelling', actions: assign({ reason: 'PaymentFailed' }) },
            },
          },
          awaitingShipment: {},
        },
      },
      cancelling: {
        entry: sendCommand(({ context }) => ({ type: 'CancelOrder', aggregate: 'Order', id: context.order, payload: { reason: context.reason } })),
        on: {
          // Commands of one instance are answered in the order they were sent, so every answer
          // to an earlier command arrives before the cancel's.
          CommandSucceeded: [
            { guard: answerTo('ReserveStock'), actions: assign(({ context, event }) => ({ reserved: [...context.reserved, reservedLine(event)] })) },
            { guard: answerTo('Withdraw'), actions: assign({ paid: true }) },
            {
              guard: answerTo('CancelOrder'),
              target: 'cancelled',
              actions: sendCommand(({ context }) => [
                ...context.reserved.map((line): ProcessCommand => ({ type: 'ReleaseStock', aggregate: 'Inventory', id: line.sku, payload: { order: context.order } })),
                ...(context.paid ? [{ type: 'Deposit', aggregate: 'Account', id: context.accountId, payload: { amount: context.total } }] : []),
              ]),
            },
          ],
          // The order shipped before the cancel reached it: fulfilment is done after all.
          CommandRejected: { guard: answerTo('CancelOrder'), target: 'shipped' },
        },
      },
      shipped: { type: 'final' },
      cancelled: { type: 'final' },
    },
  });
  return defineProcess({ name: 'Fulfilment', machine, from: ['OrderPlaced', 'OrderShipped'], correlate: (e) => (e.aggregate === 'Order' ? e.id : undefined) });
}

/**
 * The order-fulfilment process with the default `shipWithin` (10 minutes). See {@link createFulfilment}.
 *
 * @example
 * ```ts
 * const app = await createApp({ engine: 'embedded', dataDir, aggregates: [Order, Account, Inventory], processes: [Fulfilment] });
 * ```
 */
export const Fulfilment = createFulfilment();
