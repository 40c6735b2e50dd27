import type { ProcessDefinition } from './defineProcess.js';
import { describeInput, type InstanceHalt, type InstanceRecord, type ProcessInput } from './processInstance.js';
import { snapshotOf } from './processStep.js';
import type { HaltedInstance, ProcessInstanceState } from './processTypes.js';

/**
 * A halted record as the status reports it; undefined when it is not halted.
 *
 * @example
 * ```ts
 * const h = haltedOf(record); // { instance: 'o-1', error, input: 'OrderPlaced (Order/o-1) at position 3', parked: 0 }
 * ```
 */
export function haltedOf(record: InstanceRecord): HaltedInstance | undefined {
  const h = record.halted;
  if (!h) return undefined;
  return { instance: record.id, error: h.error, input: describeInput(h.input), parked: h.parked.length, ...(h.stuck ? { stuck: h.stuck } : {}) };
}

/**
 * The pending timers and halted instances among `records`, for a status.
 *
 * @example
 * ```ts
 * const { timers, halted } = summarise(instances.values());
 * ```
 */
export function summarise(records: Iterable<InstanceRecord>): { timers: number; halted: HaltedInstance[] } {
  let timers = 0;
  const halted: HaltedInstance[] = [];
  for (const record of records) {
    timers += record.timers.length;
    const h = haltedOf(record);
    if (h) halted.push(h);
  }
  return { timers, halted };
}

/**
 * An instance's state as `process.state(instance)` gives it.
 *
 * @example
 * ```ts
 * const s = instanceState(Fulfilment, record); // { value: 'shipped', context, done: true, inputs: 4, timers: [] }
 * ```
 */
export function instanceState(definition: ProcessDefinition, record: InstanceRecord): ProcessInstanceState {
  const h = haltedOf(record);
  const snapshot = record.inputs > 0 ? snapshotOf(definition, record) : undefined;
  return {
    value: snapshot?.value ?? {},
    context: snapshot?.context,
    done: record.done,
    inputs: record.inputs,
    timers: record.timers.map((t) => ({ id: t.id, dueAt: t.dueAt })),
    ...(h ? { halted: h } : {}),
  };
}

/**
 * What resuming a halted instance takes: the inputs to apply again, in order (the halted one on
 * retry, unless it was a stuck command, which is sent again instead; on skip the stuck command's
 * `CommandFailed` answer, or nothing), then the parked ones; and the outbox entry a skip drops.
 *
 * @example
 * ```ts
 * const { inputs, drop, resend } = resumePlan(record.halted, 'skip');
 * ```
 */
export function resumePlan(halt: InstanceHalt, mode: 'retry' | 'skip'): { inputs: readonly ProcessInput[]; drop?: string; resend?: string } {
  if (halt.stuck !== undefined) {
    return mode === 'skip' ? { inputs: [halt.input, ...halt.parked], drop: halt.stuck } : { inputs: halt.parked, resend: halt.stuck };
  }
  return { inputs: mode === 'retry' ? [halt.input, ...halt.parked] : halt.parked };
}
