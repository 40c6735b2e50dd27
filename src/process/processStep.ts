import { createHash } from 'node:crypto';
import { createActor, initialTransition, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { ProcessHaltedError } from '../errors.js';
import type { ProcessDefinition } from './defineProcess.js';
import { describeInput, inputTimestamp, type InstanceRecord, type OutboxEntry, type PendingTimer, type ProcessInput } from './processInstance.js';
import { PROCESS_COMMAND_TYPE, type ProcessCommand } from './sendCommand.js';

/**
 * What one input did to an instance: its new record and the commands it decided, or the error
 * that halts it (the record is then unchanged).
 *
 * @example
 * ```ts
 * const step = stepInstance(Fulfilment, record, 'o-1', input);
 * if (step.ok) outbox.push(...step.commands);
 * ```
 */
export type StepOutcome =
  | { readonly ok: true; readonly record: InstanceRecord; readonly commands: readonly OutboxEntry[] }
  | { readonly ok: false; readonly error: ProcessHaltedError };

// Live snapshots of records, so that an instance in memory is not restored on every input.
const live = new WeakMap<InstanceRecord, AnyMachineSnapshot>();

function machineEvent(input: ProcessInput): EventObject {
  switch (input.kind) {
    case 'event':
      return input.event;
    case 'timer':
      return { ...input.event, timestamp: input.dueAt } as EventObject;
    case 'answer':
      return input.answer;
  }
}

const short = (text: string) => createHash('sha1').update(text).digest('base64url').slice(0, 12);

/**
 * The part of a command id that names what triggered it, the same however inputs interleave: an
 * event by its log position and index in its commit, an answer by the command it answers, a
 * timer firing by the input that set it and the timer's id.
 *
 * @example
 * ```ts
 * triggerKey({ kind: 'event', event, index: 0 }); // 'p17.0'
 * ```
 */
export function triggerKey(input: ProcessInput): string {
  switch (input.kind) {
    case 'event':
      return `p${input.event.position}.${input.index}`;
    case 'answer':
      return `a${short(input.answer.command.commandId)}`;
    case 'timer':
      return `t${short(`${input.setBy} ${input.id}`)}`;
  }
}

function isCommand(value: unknown): value is ProcessCommand {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.type === 'string' && typeof c.aggregate === 'string' && typeof c.id === 'string' && c.payload !== undefined;
}

/**
 * The XState snapshot of a record (restored once, then kept with the record).
 *
 * @example
 * ```ts
 * const snapshot = snapshotOf(Fulfilment, record); // snapshot.value, snapshot.context
 * ```
 */
export function snapshotOf(definition: ProcessDefinition, record: InstanceRecord): AnyMachineSnapshot {
  let snapshot = live.get(record);
  if (snapshot === undefined) {
    // Restoring through an actor that is never started: XState's own way to revive a persisted snapshot.
    snapshot = createActor(definition.machine, { snapshot: record.state as never }).getSnapshot() as AnyMachineSnapshot;
    live.set(record, snapshot);
  }
  return snapshot;
}

/**
 * Applies one input to an instance (undefined: a new one, started by this input) with the
 * machine's pure transition. Collects the commands it sent (with deterministic ids
 * `<process>/<instance>/<trigger>/<n>`), the timers it set (due at the input's timestamp plus the
 * delay) and cancelled. A machine that throws, or sends a malformed command, halts the instance.
 *
 * @example
 * ```ts
 * const step = stepInstance(Fulfilment, undefined, 'o-1', { kind: 'event', event: placed, index: 0 });
 * ```
 */
export function stepInstance(definition: ProcessDefinition, record: InstanceRecord | undefined, instance: string, input: ProcessInput): StepOutcome {
  const number = (record?.inputs ?? 0) + 1;
  const halt = (message: string, cause?: unknown): StepOutcome => ({
    ok: false,
    error: new ProcessHaltedError(
      `process ${definition.name}, instance ${instance}, halted on ${describeInput(input)}: ${message}`,
      { process: definition.name, instance, input: describeInput(input), ...(input.kind === 'event' ? { position: input.event.position } : {}) },
      { cause },
    ),
  });
  if (record?.done) return { ok: true, record: { ...record, inputs: number }, commands: [] };
  let snapshot: AnyMachineSnapshot;
  let actions: { type: string; params?: unknown }[];
  try {
    if (record === undefined || record.inputs === 0) {
      const [first, entry] = initialTransition(definition.machine);
      const [next, more] = transition(definition.machine, first, machineEvent(input) as never);
      snapshot = next as AnyMachineSnapshot;
      actions = [...entry, ...more] as typeof actions;
    } else {
      const [next, done] = transition(definition.machine, snapshotOf(definition, record), machineEvent(input) as never);
      snapshot = next as AnyMachineSnapshot;
      actions = done as typeof actions;
    }
  } catch (err) {
    return halt(err instanceof Error ? err.message : String(err), err);
  }
  if (snapshot.status === 'error') return halt(String((snapshot as { error?: unknown }).error ?? 'the machine is in error'), (snapshot as { error?: unknown }).error);
  const at = inputTimestamp(input);
  const timers = new Map<string, PendingTimer>((record?.timers ?? []).map((t) => [t.id, t]));
  // A timer that fired is no longer pending, even when the machine does not cancel it.
  if (input.kind === 'timer') timers.delete(input.id);
  const commands: OutboxEntry[] = [];
  const trigger = triggerKey(input);
  for (const action of actions) {
    const params = action.params as { event?: EventObject & { command?: unknown }; delay?: number; id?: string; sendId?: string } | undefined;
    if (action.type === 'xstate.emit' && params?.event?.type === PROCESS_COMMAND_TYPE) {
      const sent = params.event.command;
      for (const command of Array.isArray(sent) ? (sent as unknown[]) : [sent]) {
        if (!isCommand(command)) return halt(`sendCommand needs { type, aggregate, id, payload } with string type, aggregate and id, got ${JSON.stringify(command)}`);
        const { type, aggregate, id, payload } = command;
        commands.push({ instance, decidedAt: at, command: { type, aggregate, id, payload, commandId: `${definition.name}/${instance}/${trigger}/${commands.length}` } });
      }
    } else if (action.type === 'xstate.raise' && typeof params?.delay === 'number' && params.event !== undefined) {
      const id = params.id ?? params.event.type;
      timers.set(id, { id, event: { type: params.event.type }, dueAt: at + params.delay, setBy: trigger });
    } else if (action.type === 'xstate.cancel' && typeof params?.sendId === 'string') {
      timers.delete(params.sendId);
    }
  }
  const done = snapshot.status === 'done';
  const next: InstanceRecord = {
    id: instance,
    state: definition.machine.getPersistedSnapshot(snapshot),
    inputs: number,
    timers: done ? [] : [...timers.values()].sort((a, b) => a.dueAt - b.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    done,
  };
  live.set(next, snapshot);
  return { ok: true, record: next, commands };
}

const initials = new WeakMap<ProcessDefinition, AnyMachineSnapshot>();

/**
 * Whether an input would start a new instance: one its machine's initial state takes. Others
 * (an OrderShipped for an order the process never saw placed) create no instance at all.
 *
 * @example
 * ```ts
 * if (record === undefined && !startsInstance(Fulfilment, input)) return;
 * ```
 */
export function startsInstance(definition: ProcessDefinition, input: ProcessInput): boolean {
  let initial = initials.get(definition);
  if (initial === undefined) {
    initial = initialTransition(definition.machine)[0] as AnyMachineSnapshot;
    initials.set(definition, initial);
  }
  return initial.can(machineEvent(input) as never);
}

/**
 * The earliest timer of a record due at or before `time`, as an input; undefined when none is
 * (or the instance is halted: its timers wait until it resumes).
 *
 * @example
 * ```ts
 * for (let t = nextDueTimer(record, event.timestamp); t; t = nextDueTimer(record, event.timestamp)) record = fire(t);
 * ```
 */
export function nextDueTimer(record: InstanceRecord | undefined, time: number): ProcessInput | undefined {
  const first = record?.timers[0];
  if (record === undefined || record.halted || first === undefined || first.dueAt > time) return undefined;
  return { kind: 'timer', id: first.id, event: first.event, dueAt: first.dueAt, setBy: first.setBy };
}
