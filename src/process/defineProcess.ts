import type { AnyStateMachine } from 'xstate';
import { ConfigError, ValidationError } from '../errors.js';
import type { EventEnvelope } from '../eventLog/eventLog.js';
import { assertAggregateName } from '../eventLog/subjectToken.js';

/**
 * A process manager: a machine fed by the events it listens to, by its timers and by the answers
 * to its commands, one instance per correlation id. Made by {@link defineProcess}; given to
 * `createApp({ processes })` and to `givenProcess()`.
 *
 * @example
 * ```ts
 * const app = await createApp({ engine: 'embedded', dataDir, aggregates: [Order, Account, Inventory], processes: [Fulfilment] });
 * ```
 */
export type ProcessDefinition<Name extends string = string, Machine extends AnyStateMachine = AnyStateMachine> = {
  readonly name: Name;
  readonly machine: Machine;
  /** Aggregate names and event types it listens to. */
  readonly from: readonly string[];
  /** The instance an event belongs to; undefined: the process ignores it. */
  readonly correlate: (envelope: EventEnvelope) => string | undefined;
  /** Whether an envelope is one the process listens to (by aggregate or event type). */
  readonly listensTo: (envelope: EventEnvelope) => boolean;
};

/**
 * Options of {@link defineProcess}.
 *
 * @example
 * ```ts
 * const options: DefineProcessOptions<'Fulfilment', typeof machine> = { name: 'Fulfilment', machine, from: ['Order', 'Account'], correlate: (e) => e.id };
 * ```
 */
export type DefineProcessOptions<Name extends string, Machine extends AnyStateMachine> = {
  /** A letter then letters, digits or `_`: it names the process's storage and its command ids. */
  name: Name;
  machine: Machine;
  /** Aggregate names (all their events) and event types (of any aggregate) it listens to. */
  from: readonly string[];
  /** Gives the instance id of an event (an aggregate id, at most 128 characters), or undefined to ignore it. Pure. */
  correlate: (envelope: EventEnvelope) => string | undefined;
};

/**
 * Defines a process manager. Its machine follows the rules of aggregates: transitions are pure
 * and deterministic (no clocks, no randomness, no I/O; timestamps come from the input). It sends
 * commands with `sendCommand(...)` and sets timers with XState delayed transitions (`after`),
 * whose due time is the triggering input's timestamp plus the delay. Throws {@link ConfigError}
 * for a bad name, machine, `from` or `correlate`.
 *
 * @example
 * ```ts
 * export const Fulfilment = defineProcess({
 *   name: 'Fulfilment',
 *   machine,
 *   from: ['OrderPlaced', 'OrderShipped'],
 *   correlate: (e) => (e.aggregate === 'Order' ? e.id : undefined),
 * });
 * ```
 */
export function defineProcess<const Name extends string, Machine extends AnyStateMachine>(
  options: DefineProcessOptions<Name, Machine>,
): ProcessDefinition<Name, Machine> {
  const { name, machine, from, correlate } = options;
  try {
    assertAggregateName(name);
  } catch (err) {
    if (err instanceof ValidationError) throw new ConfigError(`process ${JSON.stringify(name)}: ${err.message}`, err.details);
    throw err;
  }
  if (typeof machine?.transition !== 'function' || typeof machine.root !== 'object') {
    throw new ConfigError(`process ${name}: \`machine\` must be an XState machine (setup(...).createMachine(...))`);
  }
  if (!Array.isArray(from) || from.length === 0 || !from.every((f) => typeof f === 'string' && f.length > 0)) {
    throw new ConfigError(`process ${name}: \`from\` must list the aggregate names or event types it listens to`);
  }
  if (typeof correlate !== 'function') throw new ConfigError(`process ${name}: \`correlate\` must be a function of the event envelope`);
  const sources = new Set(from);
  return { name, machine, from: [...from], correlate, listensTo: (e) => sources.has(e.type) || sources.has(e.aggregate) };
}
