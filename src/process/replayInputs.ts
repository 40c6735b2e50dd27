import type { ProcessHaltedError } from '../errors.js';
import type { ProcessDefinition } from './defineProcess.js';
import type { InstanceRecord, OutboxEntry, ProcessInput } from './processInstance.js';
import { snapshotOf, startsInstance, stepInstance } from './processStep.js';

/**
 * An instance rebuilt from its recorded inputs: its record and every command it decided.
 *
 * @example
 * ```ts
 * const { record, commands } = replayInputs(Fulfilment, 'o-1', await fulfilment.recordedInputs('o-1'));
 * ```
 */
export type Replayed = { readonly record: InstanceRecord | undefined; readonly commands: readonly OutboxEntry[] };

/**
 * Replays an instance's recorded inputs (events, timer firings, answers, in the order it took
 * them) through the same step the runtime takes. Since transitions are pure and the inputs carry
 * their timestamps, this gives the live state and the same commands, under the same ids. Throws
 * {@link ProcessHaltedError} when an input that was taken now halts (the machine changed).
 *
 * @example
 * ```ts
 * const replayed = replayInputs(Fulfilment, 'o-1', inputs);
 * console.log(replayed.record?.inputs, replayed.commands.length);
 * ```
 */
export function replayInputs(definition: ProcessDefinition, instance: string, inputs: readonly ProcessInput[]): Replayed {
  let record: InstanceRecord | undefined;
  const commands: OutboxEntry[] = [];
  for (const input of inputs) {
    if (record === undefined && !startsInstance(definition, input)) continue;
    const step = stepInstance(definition, record, instance, input);
    if (!step.ok) throw step.error;
    record = step.record;
    commands.push(...step.commands);
  }
  return { record, commands };
}

/**
 * Whether a replayed record is the live one: same state value, context, done flag, input count
 * and timers. Returns the differences.
 *
 * @example
 * ```ts
 * const problems = compareReplay(Fulfilment, live, replayInputs(Fulfilment, 'o-1', inputs).record);
 * ```
 */
export function compareReplay(definition: ProcessDefinition, live: InstanceRecord, replayed: InstanceRecord | undefined): string[] {
  if (replayed === undefined) return [`${live.id}: the recorded inputs start no instance`];
  const a = snapshotOf(definition, live);
  const b = snapshotOf(definition, replayed);
  const show = (v: unknown) => JSON.stringify(v);
  const problems: string[] = [];
  if (show(a.value) !== show(b.value)) problems.push(`${live.id}: state ${show(a.value)} live, ${show(b.value)} replayed`);
  if (show(a.context) !== show(b.context)) problems.push(`${live.id}: context differs`);
  if (live.inputs !== replayed.inputs || live.done !== replayed.done) problems.push(`${live.id}: ${live.inputs} inputs live, ${replayed.inputs} replayed`);
  if (show(live.timers) !== show(replayed.timers)) problems.push(`${live.id}: timers differ`);
  return problems;
}
