import type { Subscription } from 'rxjs';
import type { CommandResult } from '../commands/command.js';
import { ClosedError, InternalError, ProcessHaltedError, TimeoutError, TributaryError, ValidationError, type ErrorShape } from '../errors.js';
import type { Commit, EventLog } from '../eventLog/eventLog.js';
import { MAX_ID_LENGTH } from '../eventLog/subjectToken.js';
import { childLogger, type Logger } from '../logging/logger.js';
import { coalesceBatches } from '../projection/coalesceBatches.js';
import { createPositionWaiters } from '../projection/positionWaiters.js';
import { pullThrough } from '../projection/pullThrough.js';
import type { ProcessDefinition } from './defineProcess.js';
import { createOutboxDispatcher, type DispatchPolicy } from './outboxDispatcher.js';
import type { CommandAnswerEvent } from './processEvents.js';
import { describeInput, type InstanceRecord, type OutboxEntry } from './processInstance.js';
import { instanceState, resumePlan, summarise } from './processReadouts.js';
import type { ProcessStore } from './processStore.js';
import type { Process, ProcessStatus } from './processTypes.js';
import { createProcessWork, type ProcessWork } from './processWork.js';
import { createTimerQueue } from './timerQueue.js';
import { createTimerWake } from './timerWake.js';

/**
 * What a process runner needs.
 *
 * @example
 * ```ts
 * const runner = createProcessRunner({ definition: Fulfilment, store, log, send: app.send, logger });
 * await runner.start();
 * ```
 */
export type ProcessRunnerOptions = {
  readonly definition: ProcessDefinition;
  readonly store: ProcessStore;
  readonly log: EventLog;
  /** Sends one command (in-process dispatch, or a NATS command client). Never rejects. */
  readonly send: (command: OutboxEntry['command'] & { correlationId: string }) => Promise<CommandResult>;
  readonly logger: Logger;
  /** Most commits taken in one transaction. Default 1000. */
  readonly maxBatch?: number;
  /** The wall clock, for timers whose due time the log has not reached. Default `Date.now`. */
  readonly clock?: () => number;
  /** How far other nodes' clocks may be behind this one, in ms: a timer fires by the wall clock only this late. Default 0. */
  readonly clockSkew?: number;
  readonly dispatch?: DispatchPolicy;
  /** Default timeout of `waitFor` and `settled`, in ms. Default 5000. */
  readonly waitTimeout?: number;
};

/**
 * A process's runner: the {@link Process} API plus its lifecycle.
 *
 * @example
 * ```ts
 * await runner.start();
 * await runner.process.settled();
 * await runner.close();
 * ```
 */
export type ProcessRunner = {
  readonly process: Process;
  /** Loads the state, re-sends the outbox and follows the log from the checkpoint. */
  start(): Promise<void>;
  /** Stops after the work in flight; unanswered commands stay in the outbox. Idempotent. */
  close(): Promise<void>;
};

// A batch that changes no instance moves the position in memory, but writes its checkpoint only
// this often: re-reading such commits after a crash has no effect.
const CHECKPOINT_EVERY = 10_000;

/**
 * Creates the runner of one process over its store.
 *
 * Each batch of the log is taken in commit order: before a commit, every timer due at or before
 * its timestamp fires (log time, the same on every replay); then its events go to their
 * instances. The new records, their recorded inputs, the commands they decided and the
 * checkpoint commit in ONE store transaction; only then are the commands dispatched. Answers and
 * wall-clock timer firings go through the same serial path. A timer fires by the wall clock only
 * when the runner has taken the whole log and the clock, less `clockSkew`, is past its due time.
 *
 * @example
 * ```ts
 * const runner = createProcessRunner({ definition: Fulfilment, store: createLmdbProcessStore(env, 'Fulfilment'), log, send, logger });
 * ```
 */
export function createProcessRunner(options: ProcessRunnerOptions): ProcessRunner {
  const { definition, store, log } = options;
  const name = definition.name;
  const logger = childLogger(options.logger, { process: name });
  const clock = options.clock ?? Date.now;
  const clockSkew = options.clockSkew ?? 0;
  const maxBatch = options.maxBatch ?? 1000;
  const waitTimeout = options.waitTimeout ?? 5000;
  const instances = new Map<string, InstanceRecord>();
  const outbox = new Map<string, OutboxEntry>();
  const timers = createTimerQueue();
  let processed = 0;
  let durable = 0;
  let state: ProcessStatus['state'] = 'stopped';
  let error: TributaryError | undefined;
  let closed = false;
  let run: Subscription | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  const waiters = createPositionWaiters(name, () => processed);

  // Every change of state goes through here, one at a time: batches, answers, timers, retries.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn);
    tail = next.catch(() => undefined);
    return next;
  };

  const fail = (err: unknown) => {
    if (closed || state === 'failed') return;
    error = err instanceof TributaryError ? err : new InternalError(`process ${name} stopped: ${err instanceof Error ? err.message : String(err)}`, { process: name }, { cause: err });
    state = 'failed';
    run?.unsubscribe();
    run = undefined;
    logger.error({ err: error }, error.message);
    waiters.rejectAll(error);
  };

  const newWork = () => createProcessWork({ definition, instances, timers, logger });

  const commit = async (work: ProcessWork, checkpoint?: number): Promise<void> => {
    const moves = checkpoint !== undefined && checkpoint > processed;
    if (!work.empty || (moves && checkpoint - durable >= CHECKPOINT_EVERY)) {
      await store.commit(work.change(moves ? checkpoint : undefined));
      if (moves) durable = checkpoint;
      for (const [id, record] of work.touched) instances.set(id, record);
      for (const entry of work.added) outbox.set(entry.command.commandId, entry);
      for (const commandId of work.change().removed) outbox.delete(commandId);
      dispatcher.add(work.added);
    }
    if (moves) {
      processed = checkpoint;
      waiters.advance(processed);
    }
    scheduleWake();
  };

  const takeBatch = (batch: readonly Commit[]) =>
    serial(async () => {
      const work = newWork();
      let last = processed;
      for (const c of batch) {
        if (c.position <= processed) continue;
        work.fireDue(c.timestamp);
        for (const [index, event] of c.events.entries()) {
          if (!definition.listensTo(event)) continue;
          let instance: unknown;
          try {
            instance = definition.correlate(event);
          } catch (err) {
            logger.error({ err, position: c.position, type: event.type }, `process ${name}: correlate threw on ${event.type} at position ${c.position}; the event is ignored`);
            continue;
          }
          if (instance === undefined || instance === null) continue;
          if (typeof instance !== 'string' || instance === '' || instance.length > MAX_ID_LENGTH) {
            logger.error({ position: c.position, type: event.type, instance }, `process ${name}: correlate gave ${JSON.stringify(instance)} for ${event.type} at position ${c.position}, not an id of 1 to ${MAX_ID_LENGTH} characters; the event is ignored`);
            continue;
          }
          work.take(instance, { kind: 'event', event, index });
        }
        last = c.position;
      }
      await commit(work, last);
    });

  // Answers that arrive while a commit is under way are taken together, in one transaction.
  let answers: { entry: OutboxEntry; event: CommandAnswerEvent; done: () => void }[] = [];
  const takeAnswers = () =>
    serial(async () => {
      const taken = answers;
      answers = [];
      if (taken.length === 0 || closed || state === 'failed') return taken.forEach((a) => a.done());
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
    }).catch(fail);
  const answer = (entry: OutboxEntry, event: CommandAnswerEvent) =>
    new Promise<void>((done) => {
      answers.push({ entry, event, done });
      if (answers.length === 1) void takeAnswers();
    });

  const stuck = (entry: OutboxEntry, last: ErrorShape) =>
    void serial(async () => {
      const record = instances.get(entry.instance);
      if (closed || !record || !outbox.has(entry.command.commandId)) return;
      const err = new ProcessHaltedError(
        `process ${name}, instance ${entry.instance}: command ${entry.command.type} to ${entry.command.aggregate}/${entry.command.id} (${entry.command.commandId}) got no answer after ${options.dispatch?.maxAttempts ?? 'the maximum'} attempts; last error ${last.code}: ${last.message}`,
        { process: name, instance: entry.instance, commandId: entry.command.commandId, last },
      );
      logger.error({ err, details: err.details }, err.message);
      const failed: CommandAnswerEvent = { type: 'CommandFailed', command: entry.command, code: last.code, message: last.message, timestamp: entry.decidedAt };
      const work = newWork();
      const parked = record.halted ? [record.halted.input, ...record.halted.parked] : [];
      work.put({ ...record, halted: { input: { kind: 'answer', answer: failed }, error: err.toShape(), parked, stuck: entry.command.commandId } });
      await commit(work);
    }).catch(fail);

  const dispatcher = createOutboxDispatcher({ ...options.dispatch, send: options.send, answer, stuck, correlationId: (e) => `${name}/${e.instance}`, logger });

  // Wall-clock timers: only once the whole log is taken, so that log time decides whenever it can.
  const wake = createTimerWake({
    timers,
    clock,
    clockSkew,
    tick: () =>
      void serial(async () => {
        if (closed || state !== 'running') return;
        if ((await log.headPosition()) > processed) return scheduleWake(50);
        const work = newWork();
        work.fireDue(clock() - clockSkew);
        await commit(work);
      }).catch(fail),
  });
  function scheduleWake(delay?: number) {
    if (!closed && state === 'running') wake.schedule(delay);
  }

  const launch = () => {
    state = 'running';
    error = undefined;
    run = pullThrough((signal) => coalesceBatches(log.readBatches({ fromPosition: processed + 1, live: true, maxBatch, signal }), { maxBatch, maxDelay: 0 }), takeBatch).subscribe({
      error: fail,
      complete: () => {
        if (!closed && state === 'running') state = 'stopped';
      },
    });
    scheduleWake();
  };

  const resume = (instance: string, mode: 'retry' | 'skip') => {
    if (closed) return Promise.reject(new ClosedError(`process ${name} is closed`, { process: name }));
    return serial(async () => {
      const record = instances.get(instance);
      const halt = record?.halted;
      if (!record || !halt) throw new ValidationError(`process ${name}: instance ${instance} is not halted; there is nothing to ${mode}`, { process: name, instance });
      const work = newWork();
      const { halted: _, ...rest } = record;
      work.put(rest);
      const plan = resumePlan(halt, mode);
      if (plan.drop !== undefined) work.remove(plan.drop);
      for (const input of plan.inputs) work.take(instance, input);
      for (const t of work.get(instance)!.timers) timers.push({ dueAt: t.dueAt, instance, id: t.id });
      logger.warn({ instance, input: describeInput(halt.input) }, `process ${name}: instance ${instance} ${mode === 'retry' ? 'retried' : 'skipped'} ${describeInput(halt.input)}`);
      await commit(work);
      if (plan.resend !== undefined) {
        const entry = outbox.get(plan.resend);
        if (entry) dispatcher.add([entry]);
      }
    });
  };

  const process: Process = {
    name,
    async status() {
      let headPosition = processed;
      try {
        headPosition = await log.headPosition();
      } catch {
        // A closed log still lets the status be read.
      }
      const { timers: pendingTimers, halted } = summarise(instances.values());
      return {
        name,
        state,
        position: processed,
        headPosition,
        lag: Math.max(0, headPosition - processed),
        instances: instances.size,
        outbox: outbox.size,
        timers: pendingTimers,
        halted,
        ...(error ? { error: error.toShape() } : {}),
      };
    },
    async state(instance) {
      const record = instances.get(instance);
      return record && instanceState(definition, record);
    },
    recordedInputs: (instance) => store.recordedInputs(instance),
    async waitFor(position, wait = {}) {
      if (position <= processed) return;
      if (state === 'failed' && error) throw error;
      await waiters.wait(position, wait.timeout ?? waitTimeout);
    },
    async settled(wait = {}) {
      const deadline = performance.now() + (wait.timeout ?? waitTimeout);
      for (;;) {
        if (state === 'failed' && error) throw error;
        const head = await log.headPosition();
        if (head <= processed && outbox.size === 0) return;
        if (performance.now() > deadline) {
          throw new TimeoutError(`process ${name} did not settle in time: position ${processed} of ${head}, ${outbox.size} commands unanswered`, { process: name });
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    retry: (instance) => resume(instance, 'retry'),
    skip: (instance) => resume(instance, 'skip'),
  };

  return {
    process,
    async start() {
      if (closed) throw new ClosedError(`process ${name} is closed`, { process: name });
      if (state !== 'stopped') return;
      const loaded = await store.load();
      processed = durable = loaded.checkpoint;
      for (const [id, record] of loaded.instances) {
        instances.set(id, record);
        if (!record.halted) for (const t of record.timers) timers.push({ dueAt: t.dueAt, instance: id, id: t.id });
      }
      for (const [commandId, entry] of loaded.outbox) outbox.set(commandId, entry);
      // Stuck commands wait for retry(); everything else in the outbox is sent again, under the same ids.
      const stuckIds = new Set([...instances.values()].map((r) => r.halted?.stuck).filter((s) => s !== undefined));
      dispatcher.add([...outbox.values()].filter((e) => !stuckIds.has(e.command.commandId)));
      launch();
    },
    async close() {
      if (closed) return;
      closed = true;
      run?.unsubscribe();
      run = undefined;
      wake.stop();
      await dispatcher.close();
      await tail;
      if (processed > durable && state !== 'failed') await store.commit({ checkpoint: processed, instances: [], inputs: [], added: [], removed: [] }).catch(() => undefined);
      state = 'stopped';
      waiters.rejectAll(new ClosedError(`process ${name} is closed`, { process: name }));
    },
  };
}
