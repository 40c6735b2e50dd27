import { ProcessHaltedError, type ErrorShape } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { CommandAnswerEvent } from './processEvents.js';
import type { InstanceRecord, OutboxEntry } from './processInstance.js';
import type { ProcessWork } from './processWork.js';

/**
 * What {@link createDispatchOutcomes} needs of its runner: its serial path, its maps, how to start
 * and commit work, and whether it is still taking changes.
 *
 * @example
 * ```ts
 * const deps: DispatchOutcomeDeps = { name, serial, newWork, commit, instances, outbox, logger, closed: () => closed, failed: () => state === 'failed', fail };
 * ```
 */
export type DispatchOutcomeDeps = {
  readonly name: string;
  readonly serial: <T>(fn: () => Promise<T>) => Promise<T>;
  readonly newWork: () => ProcessWork;
  readonly commit: (work: ProcessWork) => Promise<void>;
  readonly instances: ReadonlyMap<string, InstanceRecord>;
  readonly outbox: ReadonlyMap<string, OutboxEntry>;
  readonly logger: Logger;
  /** The dispatcher's attempt limit, for the message of a stuck command. */
  readonly maxAttempts?: number;
  closed(): boolean;
  failed(): boolean;
  fail(err: unknown): void;
};

/**
 * How a process takes what its dispatcher reports, on the runner's serial path:
 * - `answer`: the command's answer, fed to its instance as an input, with the entry removed from
 *   the outbox in the same transaction. Answers that arrive while a commit is under way are taken
 *   together, in one transaction.
 * - `stuck`: a command with no answer after every attempt halts its instance (with a
 *   `CommandFailed` input to take on `skip`), until `retry` or `skip`.
 *
 * @example
 * ```ts
 * const { answer, stuck } = createDispatchOutcomes(deps);
 * const dispatcher = createOutboxDispatcher({ send, answer, stuck, logger });
 * ```
 */
export function createDispatchOutcomes(deps: DispatchOutcomeDeps): {
  answer(entry: OutboxEntry, event: CommandAnswerEvent): Promise<void>;
  stuck(entry: OutboxEntry, last: ErrorShape): void;
} {
  const { name, serial, newWork, commit, instances, outbox, logger } = deps;

  let answers: { entry: OutboxEntry; event: CommandAnswerEvent; done: () => void }[] = [];
  const takeAnswers = () =>
    serial(async () => {
      const taken = answers;
      answers = [];
      if (taken.length === 0 || deps.closed() || deps.failed()) return taken.forEach((a) => a.done());
      const work = newWork();
      for (const { entry, event } of taken) {
        if (!outbox.has(entry.command.commandId)) continue;
        work.take(entry.instance, { kind: 'answer', answer: event });
        work.remove(entry.command.commandId);
      }
      try {
        await commit(work);
      } finally {
        taken.forEach((a) => a.done());
      }
    }).catch(deps.fail);

  return {
    answer: (entry, event) =>
      new Promise<void>((done) => {
        answers.push({ entry, event, done });
        if (answers.length === 1) void takeAnswers();
      }),
    stuck: (entry, last) =>
      void serial(async () => {
        const record = instances.get(entry.instance);
        if (deps.closed() || !record || !outbox.has(entry.command.commandId)) return;
        const err = new ProcessHaltedError(
          `process ${name}, instance ${entry.instance}: command ${entry.command.type} to ${entry.command.aggregate}/${entry.command.id} (${entry.command.commandId}) got no answer after ${deps.maxAttempts ?? 'the maximum'} attempts; last error ${last.code}: ${last.message}`,
          { process: name, instance: entry.instance, commandId: entry.command.commandId, last },
        );
        logger.error({ err, details: err.details }, err.message);
        const failed: CommandAnswerEvent = { type: 'CommandFailed', command: entry.command, code: last.code, message: last.message, timestamp: entry.decidedAt };
        const work = newWork();
        const parked = record.halted ? [record.halted.input, ...record.halted.parked] : [];
        work.put({ ...record, halted: { input: { kind: 'answer', answer: failed }, error: err.toShape(), parked, stuck: entry.command.commandId } });
        await commit(work);
      }).catch(deps.fail),
  };
}
