import type { Logger } from '../logging/logger.js';
import type { ProcessDefinition } from './defineProcess.js';
import type { InstanceRecord, OutboxEntry, ProcessInput } from './processInstance.js';
import { startsInstance, stepInstance } from './processStep.js';
import type { ProcessChange } from './processStore.js';
import type { TimerQueue } from './timerQueue.js';

/**
 * One unit of work of a process runner: inputs applied to an overlay of the instances, collected
 * as the {@link ProcessChange} that commits them. Nothing is visible to the runner until it
 * merges the overlay after the commit succeeded.
 *
 * @example
 * ```ts
 * const work = createProcessWork({ definition, instances, timers, logger });
 * work.fireDue(commit.timestamp);
 * work.take('o-1', { kind: 'event', event, index: 0 });
 * await store.commit(work.change(checkpoint));
 * ```
 */
export type ProcessWork = {
  /** The instance as this work sees it. */
  get(instance: string): InstanceRecord | undefined;
  /** Applies an input (parked instead when the instance is halted). */
  take(instance: string, input: ProcessInput): void;
  /** Fires, earliest first, every pending timer due at or before `time`. */
  fireDue(time: number): void;
  /** Replaces a record as it is (halting or resuming it). */
  put(record: InstanceRecord): void;
  remove(commandId: string): void;
  readonly empty: boolean;
  readonly touched: ReadonlyMap<string, InstanceRecord>;
  readonly added: readonly OutboxEntry[];
  change(checkpoint?: number): ProcessChange;
};

/**
 * Creates a unit of work over the runner's instances and timer queue. Timers a step sets are
 * queued at once, so that a timer set early in a batch fires before a later commit of the same
 * batch that is past its due time.
 *
 * @example
 * ```ts
 * const work = createProcessWork({ definition: Fulfilment, instances, timers, logger });
 * ```
 */
export function createProcessWork(options: {
  readonly definition: ProcessDefinition;
  readonly instances: ReadonlyMap<string, InstanceRecord>;
  readonly timers: TimerQueue;
  readonly logger: Logger;
}): ProcessWork {
  const { definition, instances, timers, logger } = options;
  const touched = new Map<string, InstanceRecord>();
  const inputs: { instance: string; number: number; input: ProcessInput }[] = [];
  const added: OutboxEntry[] = [];
  const removed: string[] = [];
  const get = (instance: string) => touched.get(instance) ?? instances.get(instance);

  const take = (instance: string, input: ProcessInput) => {
    const record = get(instance);
    if (record?.halted) {
      touched.set(instance, { ...record, halted: { ...record.halted, parked: [...record.halted.parked, input] } });
      return;
    }
    if (record === undefined && !startsInstance(definition, input)) return;
    const step = stepInstance(definition, record, instance, input);
    if (!step.ok) {
      logger.error({ err: step.error, details: step.error.details }, step.error.message);
      const base = record ?? { id: instance, state: null, inputs: 0, timers: [], done: false };
      touched.set(instance, { ...base, halted: { input, error: step.error.toShape(), parked: [] } });
      return;
    }
    const next = step.record;
    touched.set(instance, next);
    inputs.push({ instance, number: next.inputs, input });
    added.push(...step.commands);
    const before = new Set((record?.timers ?? []).map((t) => `${t.id}@${t.dueAt}`));
    for (const t of next.timers) if (!before.has(`${t.id}@${t.dueAt}`)) timers.push({ dueAt: t.dueAt, instance, id: t.id });
  };

  return {
    get,
    take,
    fireDue(time) {
      for (let top = timers.peek(); top !== undefined && top.dueAt <= time; top = timers.peek()) {
        timers.pop();
        const record = get(top.instance);
        // Stale entries (cancelled, re-set, fired, or of a halted instance) are dropped here.
        const timer = record?.timers.find((t) => t.id === top.id && t.dueAt === top.dueAt);
        if (!record || !timer || record.halted) continue;
        take(top.instance, { kind: 'timer', id: timer.id, event: timer.event, dueAt: timer.dueAt, setBy: timer.setBy });
      }
    },
    put(record) {
      touched.set(record.id, record);
    },
    remove(commandId) {
      removed.push(commandId);
    },
    get empty() {
      return touched.size === 0 && removed.length === 0;
    },
    touched,
    added,
    change: (checkpoint) => ({ ...(checkpoint !== undefined ? { checkpoint } : {}), instances: [...touched.values()], inputs, added, removed }),
  };
}
