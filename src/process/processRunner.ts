import type { Subscription } from 'rxjs';
import type { CommandResult } from '../commands/command.js';
import { ClosedError, InternalError, TributaryError } from '../errors.js';
import type { Commit, EventLog } from '../eventLog/eventLog.js';
import { childLogger, type Logger } from '../logging/logger.js';
import { coalesceBatches } from '../projection/coalesceBatches.js';
import { createPositionWaiters } from '../projection/positionWaiters.js';
import { pullThrough } from '../projection/pullThrough.js';
import type { ProcessDefinition } from './defineProcess.js';
import { createDispatchOutcomes } from './dispatchOutcomes.js';
import { createOutboxDispatcher, type DispatchPolicy } from './outboxDispatcher.js';
import type { InstanceRecord, OutboxEntry } from './processInstance.js';
import { createProcessFacade } from './processFacade.js';
import type { ProcessStore } from './processStore.js';
import { resumeInstance } from './resumeInstance.js';
import { routeCommit } from './routeCommit.js';
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
        routeCommit(definition, work, c, logger);
        last = c.position;
      }
      await commit(work, last);
    });

  const { answer, stuck } = createDispatchOutcomes({
    name,
    serial,
    newWork,
    commit: (work) => commit(work),
    instances,
    outbox,
    logger,
    maxAttempts: options.dispatch?.maxAttempts,
    closed: () => closed,
    failed: () => state === 'failed',
    fail,
  });

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

  const resumeDeps = { name, instances, outbox, timers, logger, newWork, commit: (work: ProcessWork) => commit(work), resend: (e: OutboxEntry) => dispatcher.add([e]) };
  const resume = (instance: string, mode: 'retry' | 'skip') =>
    closed ? Promise.reject(new ClosedError(`process ${name} is closed`, { process: name })) : serial(() => resumeInstance(resumeDeps, instance, mode));

  const process = createProcessFacade({
    definition,
    log,
    store,
    instances,
    outbox,
    waiters,
    waitTimeout,
    processed: () => processed,
    state: () => state,
    error: () => error,
    resume,
  });

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
