import { Observable, Subject, filter, type Subscription } from 'rxjs';
import { ClosedError, InternalError, NotFoundError, TributaryError, ValidationError } from '../errors.js';
import type { Commit, EventLog } from '../eventLog/eventLog.js';
import { childLogger, type Logger } from '../logging/logger.js';
import { noopObserver, type Observer } from '../observability/observer.js';
import { applyCommits, poisonError, skipId, type HandlerFailure } from './applyCommits.js';
import { coalesceBatches } from './coalesceBatches.js';
import type { CommitFeed } from './commitFeed.js';
import type { ProjectionDefinition } from './defineProjection.js';
import { diffViews } from './diffViews.js';
import { createPositionWaiters } from './positionWaiters.js';
import type {
  Projection,
  ProjectionState,
  RebuildOptions,
  RebuildProgress,
  RebuildResult,
  SkippedEvent,
  ViewChange,
  ViewEntry,
} from './projection.js';
import { pullThrough } from './pullThrough.js';
import { checkpointKey, generationKey, indexesKey, skipKey, type ViewEnvironment, type ViewStore } from './viewEnvironment.js';
import { createViewOverlay, type ViewOverlay } from './viewOverlay.js';

/**
 * What a runner needs; `createProjections` builds one per projection.
 *
 * @example
 * ```ts
 * const runner = createProjectionRunner({ definition, env, log, feed, logger, maxBatch: 1000, maxDelay: 0, waitTimeout: 5000 });
 * runner.start();
 * ```
 */
export type ProjectionRunnerOptions = {
  readonly definition: ProjectionDefinition;
  readonly env: ViewEnvironment;
  readonly log: EventLog;
  readonly feed: CommitFeed;
  readonly logger: Logger;
  readonly maxBatch: number;
  readonly maxDelay: number;
  readonly waitTimeout: number;
  readonly publish?: ((changes: readonly ViewChange[]) => void) | undefined;
  /** Told of each committed batch. */
  readonly observer?: Observer | undefined;
};

/**
 * A projection's runner: the {@link Projection} API plus its lifecycle.
 *
 * @example
 * ```ts
 * runner.start();
 * await runner.projection.waitFor(42);
 * await runner.close();
 * ```
 */
export type ProjectionRunner = {
  readonly projection: Projection;
  start(): void;
  /** Stops after the batch in flight, saves the checkpoint. Idempotent. */
  close(): Promise<void>;
};

type Progress = { -readonly [K in keyof RebuildProgress]: RebuildProgress[K] };

// A batch that changes nothing still moves the in-memory position (so waitFor works for any
// position), but writes its checkpoint only this often: re-reading such commits after a crash
// has no effect.
const CHECKPOINT_EVERY = 10_000;

/**
 * Creates the runner of one projection over an open views environment.
 *
 * The pipeline: `feed.batches(position + 1)` (pull-based: a batch is read only once the previous
 * one committed) → optional time batching → handlers applied to an in-memory overlay → ONE LMDB
 * transaction writing the overlay and the checkpoint → position advanced, waiters resolved,
 * changes emitted. A crash leaves a whole batch with its checkpoint, or none of it.
 *
 * @example
 * ```ts
 * const runner = createProjectionRunner({ definition: AccountBalance, env, log, feed, logger, maxBatch: 1000, maxDelay: 0, waitTimeout: 5000 });
 * ```
 */
export function createProjectionRunner(options: ProjectionRunnerOptions): ProjectionRunner {
  const { definition, env, log, feed, maxBatch, maxDelay, waitTimeout, publish } = options;
  const observer = options.observer ?? noopObserver;
  const name = definition.name;
  const logger = childLogger(options.logger, { projection: name });
  const indexNames = [...definition.indexes.keys()].sort();

  const generation = (env.meta.get(generationKey(name)) as number | undefined) ?? 1;
  let store: ViewStore = env.openStore(name, generation, indexNames);
  let durable = (env.meta.get(checkpointKey(name)) as number | undefined) ?? 0;
  let processed = durable;
  const builtWith = env.meta.get(indexesKey(name)) as string[] | undefined;
  if (builtWith === undefined) env.meta.putSync(indexesKey(name), indexNames);
  else if (builtWith.join() !== indexNames.join()) {
    // New indexes start empty and dropped ones go stale: only a replay fills them in.
    logger.warn({ builtWith, indexes: indexNames }, `projection ${name}: its indexes changed since its view was built; rebuild it`);
  }

  const skipRecords: SkippedEvent[] = [];
  for (const { value } of env.meta.getRange({ start: skipKey(name, 0, 0), end: skipKey(name, Number.MAX_SAFE_INTEGER, 0) })) {
    skipRecords.push(value as SkippedEvent);
  }
  const skips = new Set(skipRecords.map((s) => skipId(s.position, s.index)));

  let state: ProjectionState = 'stopped';
  let error: TributaryError | undefined;
  let poison: HandlerFailure | undefined;
  let closed = false;
  let run: Subscription | undefined;
  let inFlight: Promise<void> | undefined;
  let rebuilding: { promise: Promise<RebuildResult>; abort: AbortController; progress: Progress } | undefined;

  const changes = new Subject<ViewChange>();
  const waiters = createPositionWaiters(name, () => processed);
  const collecting = () => changes.observed || publish !== undefined;

  const emit = (list: readonly ViewChange[]) => {
    if (list.length === 0) return;
    for (const change of list) changes.next(change);
    if (publish) {
      try {
        publish(list);
      } catch (err) {
        logger.error({ err }, 'publishing view changes failed');
      }
    }
  };

  const fail = (err: unknown) => {
    if (closed || state === 'failed') return;
    const failure =
      err instanceof TributaryError
        ? err
        : new InternalError(`projection ${name} stopped: ${err instanceof Error ? err.message : String(err)}`, { projection: name }, { cause: err });
    state = 'failed';
    error = failure;
    run?.unsubscribe();
    run = undefined;
    logger.error({ err: failure, details: failure.details }, failure.message);
    waiters.rejectAll(failure);
  };

  // Applies a batch and commits it with the checkpoint. A poison event commits the commits before
  // it (handlers are pure, so re-applying that prefix to a fresh overlay gives the same writes),
  // then stops the projection at it: exactly once either way.
  const commitBatch = async (batch: readonly Commit[]): Promise<void> => {
    let commits = batch[0]!.position > processed ? batch : batch.filter((c) => c.position > processed);
    if (commits.length === 0) return;
    const started = performance.now();
    const collect = collecting();
    let overlay: ViewOverlay = createViewOverlay(store, definition, { collect });
    let failure: HandlerFailure | undefined;
    for (;;) {
      const f = applyCommits(definition, overlay, commits, skips);
      if (!f) break;
      failure = f;
      commits = commits.filter((c) => c.position < f.position);
      overlay = createViewOverlay(store, definition, { collect });
    }
    const upTo = failure ? failure.position - 1 : commits[commits.length - 1]!.position;
    if (upTo > processed) {
      if (overlay.size > 0 || upTo - durable >= CHECKPOINT_EVERY) {
        const written = overlay;
        await env.write(() => {
          written.flush();
          env.meta.putSync(checkpointKey(name), upTo);
        });
        durable = upTo;
      }
      processed = upTo;
      observer.projectionBatch?.(name, commits, (performance.now() - started) / 1000);
      // Someone subscribed while this batch was being applied: give them its net effect.
      emit(collect ? overlay.changes : collecting() ? overlay.folded(upTo) : []);
      waiters.advance(processed);
    }
    if (failure) {
      poison = failure;
      throw poisonError(name, failure);
    }
  };

  const step = async (batch: readonly Commit[]): Promise<void> => {
    const work = commitBatch(batch);
    inFlight = work;
    try {
      await work;
    } catch (err) {
      fail(err);
      throw err;
    } finally {
      if (inFlight === work) inFlight = undefined;
    }
  };

  const launch = () => {
    state = 'running';
    error = undefined;
    poison = undefined;
    run = pullThrough((signal) => coalesceBatches(feed.batches(processed + 1, signal), { maxBatch, maxDelay }), step).subscribe({
      error: fail,
      complete: () => {
        // The source ended under us: the log was closed.
        if (!closed && state === 'running') state = 'stopped';
      },
    });
  };

  // Stops reading at a batch boundary: the batch in flight (if any) commits first.
  const halt = async () => {
    run?.unsubscribe();
    run = undefined;
    await inFlight?.catch(() => undefined);
  };

  const assertOpen = () => {
    if (closed) throw new ClosedError(`projection ${name} is closed`, { projection: name });
  };

  const waitFor = async (position: number, wait: { timeout?: number } = {}): Promise<void> => {
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new ValidationError(`waitFor: position must be a non-negative integer, got ${String(position)}`, { projection: name });
    }
    if (position <= processed) return;
    assertOpen();
    if (state === 'failed' && error) throw error;
    await waiters.wait(position, wait.timeout ?? waitTimeout);
  };

  const readable = async (read: { minPosition?: number; timeout?: number } | undefined) => {
    if (read?.minPosition !== undefined) await waitFor(read.minPosition, read);
    assertOpen();
  };

  function assertKey(key: unknown): asserts key is string {
    if (typeof key !== 'string' || key === '') throw new ValidationError(`projection ${name}: keys are non-empty strings`, { projection: name });
  }

  const rebuildOnce = async (signal: AbortSignal, progress: Progress, onProgress?: (p: RebuildProgress) => void): Promise<RebuildResult> => {
    const started = performance.now();
    const current = store.generation;
    env.dropGenerations(name, (g) => g === current);
    const target = env.openStore(name, current + 1, indexNames);
    let position = 0;
    const replay = async () => {
      for await (const batch of log.readBatches({ fromPosition: position + 1, live: false, maxBatch, signal })) {
        const overlay = createViewOverlay(target, definition, { collect: false });
        const failure = applyCommits(definition, overlay, batch, skips);
        if (failure) throw poisonError(name, failure);
        if (overlay.size > 0) await env.write(() => overlay.flush());
        position = batch[batch.length - 1]!.position;
        progress.position = position;
        progress.headPosition = Math.max(progress.headPosition, position);
        onProgress?.({ ...progress });
      }
      if (signal.aborted) throw new ClosedError(`rebuild of projection ${name} was aborted`, { projection: name });
    };
    const resume = state !== 'stopped';
    let halted = false;
    try {
      progress.headPosition = await log.headPosition();
      await replay();
      // Catch up the tail with the live runner paused, then swap with nothing in between.
      halted = true;
      await halt();
      progress.headPosition = await log.headPosition();
      await replay();
      const old = store;
      await env.write(() => {
        env.meta.putSync(generationKey(name), target.generation);
        env.meta.putSync(checkpointKey(name), position);
        env.meta.putSync(indexesKey(name), indexNames);
      });
      store = target;
      const diff = collecting() ? diffViews(name, old.data, target.data, position) : [];
      env.dropGenerations(name, (g) => g === target.generation);
      processed = durable = position;
      emit(diff);
      waiters.advance(processed);
      if (resume && !closed) launch();
      const result = { projection: name, generation: target.generation, position, durationMs: performance.now() - started };
      logger.info(result, 'rebuild swapped in');
      return result;
    } catch (err) {
      env.dropGenerations(name, (g) => g === store.generation);
      if (halted && resume && !closed && state === 'running') launch();
      throw err;
    }
  };

  const projection: Projection = {
    name,
    async get(key, read) {
      await readable(read);
      assertKey(key);
      return store.data.get(key);
    },
    async entries(read = {}) {
      await readable(read);
      const { prefix = '', limit = Infinity } = read;
      const start = read.start !== undefined && read.start > prefix ? read.start : prefix;
      const out: ViewEntry<unknown>[] = [];
      if (limit <= 0) return out;
      for (const { key, value } of store.data.getRange({ ...(start ? { start } : {}), ...(read.end !== undefined ? { end: read.end } : {}) })) {
        if (!key.startsWith(prefix)) break;
        out.push({ key, value });
        if (out.length >= limit) break;
      }
      return out;
    },
    async lookup(index, value, read) {
      await readable(read);
      const db = store.indexes.get(index);
      if (!db) throw new NotFoundError(`projection ${name} has no index named ${JSON.stringify(index)}`, { projection: name, index });
      const out: ViewEntry<unknown>[] = [];
      for (const key of db.getValues(value)) {
        const v = store.data.get(key);
        if (v !== undefined) out.push({ key, value: v });
      }
      return out;
    },
    waitFor,
    changes$: changes.asObservable(),
    changesFrom(fromPosition, from = {}) {
      return new Observable<ViewChange>((subscriber) => {
        const only = from.key;
        let floor = fromPosition - 1;
        let buffer: ViewChange[] | undefined = [];
        // Subscribe first, then read the snapshot: a change committed in between is either in the
        // snapshot (its position ≤ the snapshot's checkpoint, dropped from the buffer) or after it.
        const subscription = (only === undefined ? changes : changes.pipe(filter((c) => c.key === only))).subscribe({
          next: (c) => {
            if (buffer) buffer.push(c);
            else if (c.position > floor) subscriber.next(c);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        });
        if (closed) {
          subscriber.complete();
          return () => subscription.unsubscribe();
        }
        const txn = env.root.useReadTransaction();
        try {
          // The durable checkpoint is read in the same snapshot as the data: they match exactly.
          const checkpoint = (env.meta.get(checkpointKey(name), { transaction: txn }) as number | undefined) ?? 0;
          if (fromPosition <= checkpoint) {
            floor = checkpoint;
            if (only !== undefined) {
              subscriber.next({ projection: name, key: only, value: store.data.get(only, { transaction: txn }) ?? null, position: checkpoint });
            } else {
              for (const { key, value } of store.data.getRange({ transaction: txn })) {
                if (subscriber.closed) break;
                subscriber.next({ projection: name, key, value, position: checkpoint });
              }
            }
          }
        } finally {
          txn.done();
        }
        const held = buffer;
        buffer = undefined;
        for (const c of held) if (c.position > floor && !subscriber.closed) subscriber.next(c);
        return () => subscription.unsubscribe();
      });
    },
    async status() {
      let headPosition = processed;
      try {
        headPosition = await log.headPosition();
      } catch {
        // A closed log still lets the status be read.
      }
      return {
        name,
        position: processed,
        headPosition,
        lag: Math.max(0, headPosition - processed),
        state,
        skipped: skipRecords.length,
        ...(error ? { error: error.toShape() } : {}),
        ...(rebuilding ? { rebuild: { ...rebuilding.progress } } : {}),
      };
    },
    rebuild(rebuild: RebuildOptions = {}) {
      if (closed) return Promise.reject(new ClosedError(`projection ${name} is closed`, { projection: name }));
      if (rebuilding) return rebuilding.promise;
      const abort = new AbortController();
      const onAbort = () => abort.abort();
      rebuild.signal?.addEventListener('abort', onAbort, { once: true });
      if (rebuild.signal?.aborted) abort.abort();
      const progress: Progress = { projection: name, position: 0, headPosition: 0 };
      const promise = rebuildOnce(abort.signal, progress, rebuild.onProgress).finally(() => {
        rebuilding = undefined;
        rebuild.signal?.removeEventListener('abort', onAbort);
      });
      rebuilding = { promise, abort, progress };
      return promise;
    },
    retry() {
      assertOpen();
      if (state !== 'failed') return;
      logger.info({ position: processed + 1 }, 'retrying');
      launch();
    },
    async stop() {
      assertOpen();
      if (state !== 'running') return;
      await halt();
      if (state === 'running') state = 'stopped';
    },
    resume() {
      assertOpen();
      if (state === 'stopped') launch();
    },
    async skip() {
      assertOpen();
      const failure = poison;
      if (state !== 'failed' || !failure) {
        throw new ValidationError(`projection ${name} is not stopped on a poison event: there is nothing to skip`, { projection: name, state });
      }
      const { envelope } = failure;
      const record: SkippedEvent = {
        projection: name,
        position: failure.position,
        index: failure.index,
        eventId: envelope.eventId,
        type: envelope.type,
        aggregate: envelope.aggregate,
        id: envelope.id,
        error: failure.error instanceof Error ? failure.error.message : String(failure.error),
        skippedAt: Date.now(),
      };
      await env.write(() => env.meta.putSync(skipKey(name, record.position, record.index), record));
      skips.add(skipId(record.position, record.index));
      skipRecords.push(record);
      skipRecords.sort((a, b) => a.position - b.position || a.index - b.index);
      logger.warn(record, 'skipped a poison event');
      if (!closed && state === 'failed') launch();
      return record;
    },
    skipped: () => [...skipRecords],
  };

  let started = false;
  return {
    projection,
    start() {
      assertOpen();
      if (!started) {
        // Leftovers of a rebuild that did not swap in (a crash, or a close while rebuilding). Only
        // on start: a handle that just reads (a CLI next to a running server) must not touch them.
        env.dropGenerations(name, (g) => g === store.generation);
        started = true;
      }
      if (state === 'stopped') launch();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (rebuilding) {
        rebuilding.abort.abort();
        await rebuilding.promise.catch(() => undefined);
      }
      await halt();
      if (processed > durable) {
        const at = processed;
        await env.write(() => env.meta.putSync(checkpointKey(name), at));
        durable = at;
      }
      state = 'stopped';
      waiters.rejectAll(new ClosedError(`projection ${name} is closed`, { projection: name }));
      changes.complete();
    },
  };
}
