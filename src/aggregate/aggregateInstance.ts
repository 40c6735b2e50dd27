import { createActor, type AnyActorScope, type AnyMachineSnapshot, type AnyStateMachine, type EventObject, type ExecutableActionObject, type Snapshot } from 'xstate';
import { InternalError, type ErrorShape } from '../errors.js';
import type { DomainEvent, EventEnvelope } from '../eventLog/eventLog.js';
import type { CommandMessage } from './aggregateTypes.js';
import type { AnyAggregateDefinition } from './defineAggregate.js';
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
 * It drives the machine through XState's actor-logic API (`machine.transition(snapshot, event,
 * scope)`) rather than a started `Actor`: a live aggregate is then just an immutable snapshot,
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

// One scope per machine, shared by all its instances: transitions are synchronous and the action
// buffer is drained right after each one, so sharing is safe and saves an actor per instance.
type MachineRuntime = {
  readonly scope: AnyActorScope;
  readonly actions: ExecutableActionObject[];
  readonly initial: AnyMachineSnapshot;
  /** Whether `can()` must be asked before every command (see hasEventlessTransitions). */
  readonly canFirst: boolean;
};
const runtimes = new WeakMap<AnyStateMachine, MachineRuntime>();

// An eventless (`always`) transition whose guard reads the event could fire on a command no
// transition takes, so that a machine with any of them cannot tell "not accepted" from the
// transition alone.
function hasEventlessTransitions(node: AnyStateMachine['root']): boolean {
  if (node.always !== undefined && node.always.length > 0) return true;
  return Object.values(node.states).some(hasEventlessTransitions);
}

function runtimeOf(machine: AnyStateMachine): MachineRuntime {
  let runtime = runtimes.get(machine);
  if (runtime !== undefined) return runtime;
  // Never started: it only lends the scope a `self` and a `system`, as XState's own pure `transition()` does.
  const self = createActor(machine);
  const actions: ExecutableActionObject[] = [];
  const scope: AnyActorScope = {
    self,
    id: '',
    sessionId: '',
    system: self.system,
    logger: () => {},
    defer: () => {},
    emit: () => {},
    stopChild: () => {},
    actionExecutor: (action) => {
      actions.push(action);
    },
  };
  // Snapshots are immutable, so every fresh instance can start from the same one.
  const initial = machine.getInitialSnapshot(scope);
  actions.length = 0;
  runtime = { scope, actions, initial, canFirst: hasEventlessTransitions(machine.root) };
  runtimes.set(machine, runtime);
  return runtime;
}

const EMIT = 'xstate.emit';

// An instance is this one object: the state its readers see as readonly fields, and methods that
// call module functions. One object per live aggregate, with no getters to go through; and no
// named closure is made per instance, since under tsx (esbuild's keepNames) each one also costs a
// `defineProperty`, about a microsecond and 350 bytes.
type Core = AggregateInstance & {
  readonly definition: AnyAggregateDefinition;
  readonly id: string;
  readonly runtime: MachineRuntime;
  snapshot: AnyMachineSnapshot;
  version: number;
  position: number;
};

// Every transition leaves the shared action buffer empty behind it. Setting an array's length is
// a runtime call, so it is only made when there is something to drop.
function clearActions(actions: ExecutableActionObject[]): void {
  if (actions.length !== 0) actions.length = 0;
}

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
  const { definition, id, runtime } = core;
  const { scope, actions, canFirst } = runtime;
  const before = core.snapshot;
  if (before.status !== 'active') return notAccepted(core, command, before);
  let after: AnyMachineSnapshot;
  try {
    if (canFirst && !before.can(command)) return notAccepted(core, command, before);
    after = definition.machine.transition(before, command, scope);
    // `can()` computes the transition too, so it is only asked when the transition alone cannot
    // tell: XState hands back the same snapshot, with no actions, both for a command no
    // transition takes and for a targeted self-transition without actions.
    if (!canFirst && after === before && actions.length === 0 && !before.can(command)) return notAccepted(core, command, before);
  } catch (err) {
    clearActions(actions);
    const state = describeState(before.value);
    return internal(`${definition.name} ${id}: command ${command.type} failed in state ${state}: ${messageOf(err)}`, where(core, command.type, state));
  }
  if (after.context !== before.context || !sameStateValue(before.value, after.value)) {
    clearActions(actions);
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
  clearActions(actions);
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
  const { definition, id, runtime } = core;
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
      core.snapshot = definition.machine.transition(core.snapshot, envelope, runtime.scope);
    } catch (err) {
      throw new InternalError(
        `${aggregate} ${id}: event transition ${envelope.type} (version ${envelope.version}) failed: ${messageOf(err)}`,
        { aggregate, id, event: envelope.type, version: envelope.version, position: envelope.position },
      );
    } finally {
      // Event transitions are pure: whatever actions they resolved are not decisions.
      clearActions(runtime.actions);
    }
    core.version = envelope.version;
    core.position = envelope.position;
  }
}

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
  const machine = definition.machine;
  const runtime = runtimeOf(machine);
  const snapshot: AnyMachineSnapshot = start === undefined ? runtime.initial : machine.restoreSnapshot(start.state as Snapshot<unknown>, runtime.scope);
  clearActions(runtime.actions);
  const core: Core = {
    definition,
    id,
    runtime,
    snapshot,
    version: start?.version ?? 0,
    position: start?.position ?? 0,
    decide(command) {
      return decide(core, command);
    },
    evolve(envelopes) {
      evolve(core, envelopes);
    },
    persistedState() {
      return machine.getPersistedSnapshot(core.snapshot);
    },
  };
  return core;
}
