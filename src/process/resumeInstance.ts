import { ValidationError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { describeInput, type InstanceRecord, type OutboxEntry } from './processInstance.js';
import { resumePlan } from './processReadouts.js';
import type { ProcessWork } from './processWork.js';
import type { TimerQueue } from './timerQueue.js';

/**
 * What {@link resumeInstance} needs of its runner. It runs on the runner's serial path.
 *
 * @example
 * ```ts
 * const deps: ResumeDeps = { name, instances, outbox, timers, logger, newWork, commit, resend: (e) => dispatcher.add([e]) };
 * ```
 */
export type ResumeDeps = {
  readonly name: string;
  readonly instances: ReadonlyMap<string, InstanceRecord>;
  readonly outbox: ReadonlyMap<string, OutboxEntry>;
  readonly timers: TimerQueue;
  readonly logger: Logger;
  readonly newWork: () => ProcessWork;
  readonly commit: (work: ProcessWork) => Promise<void>;
  /** Sends an outbox entry again. */
  readonly resend: (entry: OutboxEntry) => void;
};

/**
 * The operator's way out of a halted instance: `retry` takes its input again (or re-sends its
 * stuck command), `skip` drops it (a stuck command gets its `CommandFailed` answer); then the
 * inputs parked behind it are taken, and its timers queued again. Throws `ValidationError` for an
 * instance that is not halted.
 *
 * @example
 * ```ts
 * await serial(() => resumeInstance(deps, 'o-1', 'skip'));
 * ```
 */
export async function resumeInstance(deps: ResumeDeps, instance: string, mode: 'retry' | 'skip'): Promise<void> {
  const { name, timers } = deps;
  const record = deps.instances.get(instance);
  const halt = record?.halted;
  if (!record || !halt) throw new ValidationError(`process ${name}: instance ${instance} is not halted; there is nothing to ${mode}`, { process: name, instance });
  const work = deps.newWork();
  const { halted: _, ...rest } = record;
  work.put(rest);
  const plan = resumePlan(halt, mode);
  if (plan.drop !== undefined) work.remove(plan.drop);
  for (const input of plan.inputs) work.take(instance, input);
  for (const t of work.get(instance)!.timers) timers.push({ dueAt: t.dueAt, instance, id: t.id });
  deps.logger.warn({ instance, input: describeInput(halt.input) }, `process ${name}: instance ${instance} ${mode === 'retry' ? 'retried' : 'skipped'} ${describeInput(halt.input)}`);
  await deps.commit(work);
  if (plan.resend !== undefined) {
    const entry = deps.outbox.get(plan.resend);
    if (entry) deps.resend(entry);
  }
}
