import { ValidationError } from '../errors.js';
import type { DomainEvent, EventEnvelope } from '../eventLog/eventLog.js';
import type { IndexKey, View } from './view.js';

/**
 * Event type → data type, for typed handlers. Projections declare the events they consume
 * themselves, since they never import the write side.
 *
 * @example
 * ```ts
 * type AccountEvents = { AccountOpened: { owner: string }; Deposited: { amount: number } };
 * ```
 */
export type EventMap = Record<string, unknown>;

/**
 * Applies one event to a view. Pure and synchronous: no I/O, no clocks, no randomness. The time
 * of an event is `envelope.timestamp`. Events are shared by every projection that reads them:
 * never mutate them. A handler that throws stops its projection at that event (a poison event)
 * until it is retried or skipped.
 *
 * @example
 * ```ts
 * const AccountOpened: ProjectionHandler<Balance, { owner: string }> = (view, event, envelope) =>
 *   view.put(envelope.id, { owner: event.data.owner, balance: 0, status: 'open' });
 * ```
 */
export type ProjectionHandler<V, Data = unknown, Type extends string = string> = (
  view: View<V>,
  event: DomainEvent<Type, Data>,
  envelope: EventEnvelope,
) => void;

/**
 * Files a stored value under zero, one or several index keys. Called for every value written;
 * `undefined` (or an empty array) leaves the value out of the index.
 *
 * @example
 * ```ts
 * const byCustomer: IndexFunction<OrderRow> = (row) => (row.kind === 'order' ? row.customerId : undefined);
 * ```
 */
export type IndexFunction<V> = (value: V, key: string) => IndexKey | readonly IndexKey[] | undefined;

/**
 * The handlers of a projection, keyed by event type.
 *
 * @example
 * ```ts
 * const handlers: ProjectionHandlers<Balance, AccountEvents> = { AccountOpened: (view, e, env) => {} };
 * ```
 */
export type ProjectionHandlers<V, E extends EventMap> = {
  readonly [T in keyof E & string]?: ProjectionHandler<V, E[T], T>;
};

/**
 * What {@link defineProjection} takes.
 *
 * @example
 * ```ts
 * const options: ProjectionOptions<Balance, AccountEvents> = { name: 'AccountBalance', from: ['Account'], handlers };
 * ```
 */
export type ProjectionOptions<V, E extends EventMap> = {
  /** Letters, digits, `_` and `-`, starting with a letter: it names LMDB databases and NATS subjects. */
  readonly name: string;
  /** Aggregate names and/or event types: an event is applied when it has a handler and matches one. */
  readonly from: readonly string[];
  readonly handlers: ProjectionHandlers<V, E>;
  /** Secondary indexes, maintained automatically from the stored values. */
  readonly indexes?: Readonly<Record<string, IndexFunction<V>>>;
  /**
   * Version of the handlers, default 1. Bump it when they change what they write: on start the
   * projection is then rebuilt into a fresh view, which is swapped in once it has caught up
   * (blue/green); until then readers keep the old view, which stands still.
   */
  readonly version?: number;
};

/**
 * A projection, ready for `createProjections`. `V` is the type of its stored values; it only
 * types reads (`projections.get(definition)`), so any definition is a `ProjectionDefinition`.
 *
 * @example
 * ```ts
 * const projections = await createProjections({ log, path: './data/views', projections: [AccountBalance] });
 * const balance = await projections.get(AccountBalance).get('a-1');
 * ```
 */
export type ProjectionDefinition<V = unknown> = {
  readonly name: string;
  readonly from: readonly string[];
  readonly handlers: ReadonlyMap<string, ProjectionHandler<unknown>>;
  readonly indexes: ReadonlyMap<string, IndexFunction<unknown>>;
  /** Version of the handlers (see {@link ProjectionOptions.version}). */
  readonly version: number;
  /** Whether the projection applies an event of this type from this aggregate. */
  consumes(aggregate: string, type: string): boolean;
  /** Type-level only: never set. */
  readonly valueType?: V;
};

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

function assertName(kind: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ValidationError(
      `${kind} name ${JSON.stringify(name)} is not valid: use a letter, then letters, digits, _ or - (at most 64)`,
      { field: kind, value: String(name) },
    );
  }
}

/**
 * Defines a projection: a read model built from events by pure handlers onto an LMDB view.
 * Checks the definition up front (names, `from`, handler and index functions) and throws
 * `ValidationError` naming the problem.
 *
 * @example
 * ```ts
 * type Balance = { owner: string; balance: number; status: 'open' | 'closed' };
 * type AccountEvents = { AccountOpened: { owner: string }; Deposited: { amount: number }; AccountClosed: Record<string, never> };
 *
 * export const AccountBalance = defineProjection<Balance, AccountEvents>({
 *   name: 'AccountBalance',
 *   from: ['Account'],
 *   handlers: {
 *     AccountOpened: (view, event, envelope) => view.put(envelope.id, { owner: event.data.owner, balance: 0, status: 'open' }),
 *     Deposited: (view, event, envelope) => view.update(envelope.id, (b) => ({ ...b!, balance: b!.balance + event.data.amount })),
 *     AccountClosed: (view, _event, envelope) => view.update(envelope.id, (b) => ({ ...b!, status: 'closed' })),
 *   },
 * });
 * ```
 */
export function defineProjection<V, E extends EventMap = EventMap>(
  options: ProjectionOptions<V, E>,
): ProjectionDefinition<V> {
  assertName('projection', options.name);
  const name = options.name;
  if (!Array.isArray(options.from) || options.from.length === 0 || !options.from.every((s) => typeof s === 'string' && s !== '')) {
    throw new ValidationError(`projection ${name}: "from" must list at least one aggregate name or event type`, {
      projection: name,
      field: 'from',
    });
  }
  const handlers = new Map<string, ProjectionHandler<unknown>>();
  for (const [type, handler] of Object.entries(options.handlers ?? {})) {
    if (typeof handler !== 'function') {
      throw new ValidationError(`projection ${name}: the handler of ${type} is not a function`, { projection: name, type });
    }
    // Erased here so that definitions of any value type fit one list; the runner passes each
    // handler only the view of its own projection.
    handlers.set(type, handler as ProjectionHandler<unknown>);
  }
  if (handlers.size === 0) {
    throw new ValidationError(`projection ${name} has no handlers`, { projection: name, field: 'handlers' });
  }
  const indexes = new Map<string, IndexFunction<unknown>>();
  for (const [indexName, fn] of Object.entries(options.indexes ?? {})) {
    assertName('index', indexName);
    if (typeof fn !== 'function') {
      throw new ValidationError(`projection ${name}: index ${indexName} is not a function`, { projection: name, index: indexName });
    }
    indexes.set(indexName, fn as IndexFunction<unknown>);
  }
  const version = options.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new ValidationError(`projection ${name}: version must be a positive integer, got ${String(options.version)}`, { projection: name, field: 'version' });
  }
  const from = Object.freeze([...options.from]);
  const sources = new Set(from);
  return Object.freeze({
    name,
    from,
    handlers,
    indexes,
    version,
    consumes: (aggregate: string, type: string) => handlers.has(type) && (sources.has(aggregate) || sources.has(type)),
  });
}
