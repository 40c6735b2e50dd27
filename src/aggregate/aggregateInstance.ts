import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { InternalError, type ErrorShape } from '../errors.js';
import type { DomainEvent, EventEnvelope } from '../eventLog/eventLog.js';
import type { CommandMessage } from './aggregateTypes.js';
import type { AnyAggregateDefinition } from './defineAggregate.js';
import { machineAdapter, type MachineAdapter } from './machineAdapter.js';
import { isRejection } from './reject.js';
import { describeState, sameStateValue } from './stateValue.js';
import { formatIssues, validateSchema, type SchemaIssue } from './validateSchema.js';

/**
 * What a command decided: the validated events to append (possibly none), or the error in wire
 * form (`rejected` for a refusal, `internal` for a machine bug). Rejections are ordinary outcomes,
 * so they are built as plain shapes, without the cost of an Error and its stack trace.
 *
 * @example
 * ```ts
 * const decision: Decision = { ok: true, events: [{ type: 'Deposited', data: { amount: 10 } }] };
 * ```
 */
export type Decision =
  | { readonly ok: true; readonly events: DomainEvent[] }
  | { readonly ok: false; readonly error: ErrorShape };

/**
 * Where an instance starts: a persisted XState snapshot taken at `version` (and `position`).
 *
 * @example
 * ```ts
 * const start: InstanceStart = { state: instance.persistedState(), version: 100, position: 5123 };
 * ```
 */
export type InstanceStart = { readonly state: unknown; readonly version: number; readonly position: number };

/**
 * One aggregate instance in memory: the pure decide/evolve core that both the host
 * (`AggregateActor`) and `given()` run, so tests exercise exactly what production runs.
 * It knows nothing of the log.
 *
 * It drives the machine through pure transitions ({@link machineAdapter}) rather than a started
 * `Actor`: a live aggregate is then just an immutable snapshot,
 * which keeps memory and GC flat with tens of thousands of live aggregates, and a command that
 * throws or breaks the rules leaves the state untouched. Emitted events are read from the
 * resolved `xstate.emit` actions; other custom actions are not executed, since aggregates are pure.
 *
 * @example
 * ```ts
 * const instance = createAggregateInstance(Account, 'a-1');
 * const decision = await instance.decide(command);
 * if (decision.ok) instance.evolve(envelopesOf(decision.events));
 * ```
 */
export type AggregateInstance = {
  /** Count of events applied so far. */
  readonly version: number;
  /** Position of the last applied event; 0 when none. */
  readonly position: number;
  /** The current XState snapshot (value, context). */
  readonly snapshot: AnyMachineSnapshot;
  /**
   * Runs a command against the current state without changing it: sends it (a command no
   * transition takes is rejected as not accepted, as `can()` would), collects what it emitted,
   * and validates the events. Synchronous unless an event schema is async.
   */
  decide(command: CommandMessage): Decision | Promise<Decision>;
  /**
   * Applies stored events in version order. Throws {@link InternalError} on a version gap or a
   * failing transition, leaving the instance at the last event that applied.
   */
  evolve(events: readonly EventEnvelope[]): void;
  /** The XState persisted snapshot, for aggregate snapshots. */
  persistedState(): unknown;
};

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const EMIT = 'xstate.emit';

// An instance is this one object: the state its readers see as readonly fields, and methods
// shared by every instance on one prototype, which call module functions. One object per live
// aggregate, with no getters to go through and no closures of its own (each would cost 56 bytes
// per live aggregate, and under tsx, esbuild's keepNames adds a `defineProperty` to each).
type Core = AggregateInstance & {
  definition: AnyAggregateDefinition;
  id: string;
  adapter: MachineAdapter;
  snapshot: AnyMachineSnapshot;
  version: number;
  position: number;
};

function where(core: Core, command: string, state: string) {
  return { aggregate: core.definition.name, id: core.id, command, state };
}

function internal(message: string, details: Record<string, unknown>): Decision {
  return { ok: false, error: new InternalError(message, details).toShape() };
}

// The same shape as RejectedError.toShape().
function rejected(core: Core, reason: string, message: string, command: string, state: string): Decision {
  return { ok: false, error: { code: 'rejected', message, details: { reason, aggregate: core.definition.name, id: core.id, command, state } } };
}

function notAccepted(core: Core, command: CommandMessage, before: AnyMachineSnapshot): Decision {
  const state = describeState(before.value);
  return rejected(core, 'NotAccepted', `command ${command.type} is not accepted in state ${state}`, command.type, state);
}

function decide(core: Core, command: CommandMessage): Decision | Promise<Decision> {
  const { definition, id, adapter } = core;
  const { actions, canFirst } = adapter;
  const before = core.snapshot;
  if (before.status !== 'active') return notAccepted(core, command, before);
  let after: AnyMachineSnapshot;
  try {
    if (canFirst && !before.can(command)) return notAccepted(core, command, before);
    after = adapter.transition(before, command);
    // `can()` computes the transition too, so it is only asked when the transition alone cannot
    // tell: XState hands back the same snapshot, with no actions, both for a command no
    // transition takes and for a targeted self-transition without actions.
    if (!canFirst && after === before && actions.length === 0 && !before.can(command)) return notAccepted(core, command, before);
  } catch (err) {
    const state = describeState(before.value);
    return internal(`${definition.name} ${id}: command ${command.type} failed in state ${state}: ${messageOf(err)}`, where(core, command.type, state));
  }
  if (after.context !== before.context || !sameStateValue(before.value, after.value)) {
    const state = describeState(before.value);
    const what = after.context !== before.context ? 'context' : `state (to ${describeState(after.value)})`;
    return internal(
      `${definition.name} ${id}: command transition ${command.type} in state ${state} changed the ${what}; ` +
        'command transitions may only check guards and emit events (evolve state in event transitions)',
      where(core, command.type, state),
    );
  }
  const emitted: EventObject[] = [];
  for (const action of actions) {
    if (action.type === EMIT) emitted.push((action.params as { event: EventObject }).event);
  }
  for (const e of emitted) {
    if (isRejection(e)) return rejected(core, e.reason, e.message, command.type, describeState(before.value));
  }
  return validateEvents(core, command.type, before, emitted, 0, []);
}

function unknownEvent(core: Core, commandType: string, before: AnyMachineSnapshot, type: string): Decision {
  const state = describeState(before.value);
  return internal(
    `${core.definition.name} ${core.id}: command ${commandType} emitted ${JSON.stringify(type)}, which is not one of its events ` +
      `(${Object.keys(core.definition.events).join(', ')})`,
    { ...where(core, commandType, state), event: type },
  );
}

function invalidEvent(core: Core, commandType: string, before: AnyMachineSnapshot, type: string, issues: SchemaIssue[]): Decision {
  const state = describeState(before.value);
  return internal(`${core.definition.name} ${core.id}: command ${commandType} emitted an invalid ${type}: ${formatIssues(issues)}`, {
    ...where(core, commandType, state),
    event: type,
    issues,
  });
}

// Validates emitted events in order, synchronously until a schema answers with a promise.
function validateEvents(
  core: Core,
  commandType: string,
  before: AnyMachineSnapshot,
  emitted: readonly EventObject[],
  from: number,
  valid: DomainEvent[],
): Decision | Promise<Decision> {
  const events = core.definition.events;
  for (let i = from; i < emitted.length; i++) {
    const e = emitted[i]!;
    const schema = Object.hasOwn(events, e.type) ? events[e.type] : undefined;
    if (schema === undefined) return unknownEvent(core, commandType, before, e.type);
    const outcome = validateSchema(schema, (e as { data?: unknown }).data);
    if (outcome instanceof Promise) {
      return outcome.then((o) => {
        if (!o.ok) return invalidEvent(core, commandType, before, e.type, o.issues);
        valid.push({ type: e.type, data: o.value });
        return validateEvents(core, commandType, before, emitted, i + 1, valid);
      });
    }
    if (!outcome.ok) return invalidEvent(core, commandType, before, e.type, outcome.issues);
    valid.push({ type: e.type, data: outcome.value });
  }
  return { ok: true, events: valid };
}

function evolve(core: Core, envelopes: readonly EventEnvelope[]): void {
  const { definition, id, adapter } = core;
  const aggregate = definition.name;
  for (const envelope of envelopes) {
    if (envelope.version !== core.version + 1) {
      throw new InternalError(`${aggregate} ${id}: expected event version ${core.version + 1}, got ${envelope.version}`, {
        aggregate,
        id,
        version: envelope.version,
      });
    }
    try {
      // Event transitions are pure: whatever actions they resolved are not decisions, and are dropped.
      core.snapshot = adapter.transition(core.snapshot, envelope);
    } catch (err) {
      throw new InternalError(
        `${aggregate} ${id}: event transition ${envelope.type} (version ${envelope.version}) failed: ${messageOf(err)}`,
        { aggregate, id, event: envelope.type, version: envelope.version, position: envelope.position },
      );
    }
    core.version = envelope.version;
    core.position = envelope.position;
  }
}

const instanceMethods: Pick<AggregateInstance, 'decide' | 'evolve' | 'persistedState'> & ThisType<Core> = {
  decide(command) {
    return decide(this, command);
  },
  evolve(envelopes) {
    evolve(this, envelopes);
  },
  persistedState() {
    return this.adapter.persist(this.snapshot);
  },
};

/**
 * Creates an instance of an aggregate, at its initial state or restored from a persisted snapshot.
 * Throws when the persisted snapshot does not fit the machine.
 *
 * @example
 * ```ts
 * const fresh = createAggregateInstance(Account, 'a-1');
 * const restored = createAggregateInstance(Account, 'a-1', { state, version: 100, position: 5123 });
 * ```
 */
export function createAggregateInstance(
  definition: AnyAggregateDefinition,
  id: string,
  start?: InstanceStart,
): AggregateInstance {
  const adapter = machineAdapter(definition.machine);
  const core = Object.create(instanceMethods) as Core;
  core.definition = definition;
  core.id = id;
  core.adapter = adapter;
  core.snapshot = start === undefined ? adapter.initial : adapter.restore(start.state);
  core.version = start?.version ?? 0;
  core.position = start?.position ?? 0;
  return core;
}
