import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { MachineContext } from 'xstate';
import type { DomainEvent, EventEnvelope } from '../eventLog/eventLog.js';
import type { Rejection } from './reject.js';

/**
 * Schemas keyed by command or event type: any Standard Schema validator (zod 4, valibot, arktype).
 *
 * @example
 * ```ts
 * const commands = { Deposit: z.object({ amount: z.number().int().positive() }) } satisfies SchemaMap;
 * ```
 */
export type SchemaMap = Readonly<Record<string, StandardSchemaV1>>;

/**
 * A command as the machine receives it: the XState event of a command transition. `payload` has
 * passed the command's schema, and `commandId`/`correlationId` are always set.
 *
 * @example
 * ```ts
 * Withdraw: { guard: ({ context, event }) => event.payload.amount <= context.balance, actions: ... }
 * ```
 */
export type CommandMessage<Type extends string = string, Payload = unknown> = {
  readonly type: Type;
  readonly aggregate: string;
  readonly id: string;
  readonly payload: Payload;
  readonly commandId: string;
  readonly correlationId?: string;
  readonly expectedVersion?: number;
};

type Keys<M> = keyof M & string;

/**
 * The union of commands a machine receives, derived from the command schemas.
 *
 * @example
 * ```ts
 * type AccountCommand = CommandsOf<typeof commands>;
 * // { type: 'Deposit'; payload: { amount: number }; ... } | { type: 'Withdraw'; ... }
 * ```
 */
export type CommandsOf<Commands extends SchemaMap> = {
  [K in Keys<Commands>]: CommandMessage<K, StandardSchemaV1.InferOutput<Commands[K]>>;
}[Keys<Commands>];

/**
 * The union of stored events a machine receives (envelopes: `data` plus `version`, `timestamp`,
 * `position`, ...), derived from the event schemas. Event transitions see these.
 *
 * @example
 * ```ts
 * OrderShipped: { target: 'shipped', actions: assign({ shippedAt: ({ event }) => event.timestamp }) }
 * ```
 */
export type EventsOf<Events extends SchemaMap> = {
  [K in Keys<Events>]: EventEnvelope<DomainEvent<K, StandardSchemaV1.InferOutput<Events[K]>>>;
}[Keys<Events>];

/**
 * The union of domain events `{ type, data }` as stored, derived from the event schemas.
 *
 * @example
 * ```ts
 * const history: DomainEventsOf<typeof events>[] = [{ type: 'AccountOpened', data: { owner: 'Ada' } }];
 * ```
 */
export type DomainEventsOf<Events extends SchemaMap> = {
  [K in Keys<Events>]: DomainEvent<K, StandardSchemaV1.InferOutput<Events[K]>>;
}[Keys<Events>];

/**
 * What a machine may `emit`: its domain events (before validation, so the schemas' input types)
 * and the {@link Rejection} that {@link reject} produces.
 *
 * @example
 * ```ts
 * type Emitted = EmittedOf<typeof events>;
 * ```
 */
export type EmittedOf<Events extends SchemaMap> =
  | { [K in Keys<Events>]: DomainEvent<K, StandardSchemaV1.InferInput<Events[K]>> }[Keys<Events>]
  | Rejection;

/**
 * Everything XState's `setup({ types })` needs for an aggregate machine, derived from the schemas:
 * the context, the events (commands and stored events) and what it emits. With it, `emit`,
 * `reject`, guards and `assign` are all typed without casts.
 *
 * @example
 * ```ts
 * const machine = setup({
 *   types: {} as AggregateTypes<typeof commands, typeof events, { balance: number }>,
 * }).createMachine({
 *   context: { balance: 0 },
 *   on: {
 *     Deposit: { actions: emit(({ event }) => ({ type: 'Deposited', data: { amount: event.payload.amount } })) },
 *     Deposited: { actions: assign({ balance: ({ context, event }) => context.balance + event.data.amount }) },
 *   },
 * });
 * ```
 */
export type AggregateTypes<Commands extends SchemaMap, Events extends SchemaMap, Context extends MachineContext> = {
  context: Context;
  events: CommandsOf<Commands> | EventsOf<Events>;
  emitted: EmittedOf<Events>;
};
