import type { Observable } from 'rxjs';
import type { ErrorShape } from '../errors.js';
import type { IndexKey } from './view.js';

/**
 * One committed change of a view: the value of `key` after the commit at `position`, or `null`
 * when that commit deleted it. A commit that touches a key several times yields one change.
 *
 * @example
 * ```ts
 * projections.get(AccountBalance).changes$.subscribe((c) => console.log(c.position, c.key, c.value));
 * ```
 */
export type ViewChange<V = unknown> = {
  readonly projection: string;
  readonly key: string;
  readonly value: V | null;
  readonly position: number;
};

/**
 * `running`: following the log. `stopped`: not started, or closed. `failed`: halted on an error
 * (usually a poison event) until `retry()` or `skip()`.
 *
 * @example
 * ```ts
 * if ((await projection.status()).state === 'failed') await projection.skip();
 * ```
 */
export type ProjectionState = 'running' | 'stopped' | 'failed';

/**
 * Where a projection stands. `position` is the last log position it has processed (including
 * commits it does not consume), so `lag` is how many commits it still has to read.
 *
 * @example
 * ```ts
 * const { name, position, headPosition, lag, state } = await projection.status();
 * ```
 */
export type ProjectionStatus = {
  readonly name: string;
  readonly position: number;
  readonly headPosition: number;
  readonly lag: number;
  readonly state: ProjectionState;
  /** Why it failed (state `failed`). */
  readonly error?: ErrorShape;
  /** Progress of a rebuild in flight. */
  readonly rebuild?: RebuildProgress;
  /** How many events have been skipped so far. */
  readonly skipped: number;
};

/**
 * A poison event that was skipped, as recorded in the projection's metadata.
 *
 * @example
 * ```ts
 * const s = await projection.skip();
 * console.log(`skipped ${s.type} of ${s.aggregate}/${s.id} at ${s.position}: ${s.error}`);
 * ```
 */
export type SkippedEvent = {
  readonly projection: string;
  readonly position: number;
  /** Index of the event in its commit. */
  readonly index: number;
  readonly eventId: string;
  readonly type: string;
  readonly aggregate: string;
  readonly id: string;
  /** The handler's error message. */
  readonly error: string;
  /** When it was skipped (ms since the epoch). */
  readonly skippedAt: number;
};

/**
 * Progress of a rebuild: how far the replay has got, out of the log's head.
 *
 * @example
 * ```ts
 * await projection.rebuild({ onProgress: (p) => bar.update(p.position, { total: p.headPosition }) });
 * ```
 */
export type RebuildProgress = {
  readonly projection: string;
  readonly position: number;
  readonly headPosition: number;
};

/**
 * Outcome of a rebuild that swapped in.
 *
 * @example
 * ```ts
 * const { generation, position, durationMs } = await projection.rebuild();
 * ```
 */
export type RebuildResult = {
  readonly projection: string;
  /** The generation now serving reads. */
  readonly generation: number;
  /** The view was swapped in at this position; the projection continues live after it. */
  readonly position: number;
  readonly durationMs: number;
};

/**
 * Options of {@link Projection.rebuild}.
 *
 * @example
 * ```ts
 * await projection.rebuild({ onProgress: (p) => console.log(p.position, '/', p.headPosition), signal });
 * ```
 */
export type RebuildOptions = {
  /** Called after each replayed batch. */
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Aborting discards the new view; the live one is untouched. */
  readonly signal?: AbortSignal;
};

/**
 * How long a read may wait for a position: `timeout` in ms (default: the handle's `waitTimeout`).
 *
 * @example
 * ```ts
 * await projection.waitFor(result.position, { timeout: 2000 });
 * ```
 */
export type WaitOptions = {
  readonly timeout?: number;
};

/**
 * Read-your-writes for reads: first wait until the projection has processed `minPosition`.
 *
 * @example
 * ```ts
 * const order = await summary.get('o-1', { minPosition: result.position });
 * ```
 */
export type ReadOptions = WaitOptions & {
  readonly minPosition?: number;
};

/**
 * Options of {@link Projection.entries}: a key range scan, in key order.
 *
 * @example
 * ```ts
 * const awaiting = await dashboard.entries({ prefix: 'awaiting/', limit: 50 });
 * ```
 */
export type EntriesOptions = ReadOptions & {
  /** Only keys starting with this prefix. */
  readonly prefix?: string;
  /** First key (inclusive). */
  readonly start?: string;
  /** Last key (exclusive). */
  readonly end?: string;
  readonly limit?: number;
  readonly reverse?: boolean;
};

/**
 * A key and its value.
 *
 * @example
 * ```ts
 * for (const { key, value } of await projection.entries()) console.log(key, value);
 * ```
 */
export type ViewEntry<V> = {
  readonly key: string;
  readonly value: V;
};

/**
 * Options of {@link Projection.changesFrom}.
 *
 * @example
 * ```ts
 * projection.changesFrom(lastSeen + 1, { key: 'a-1' }).subscribe(render);
 * ```
 */
export type ChangesFromOptions = {
  /** Only this key. */
  readonly key?: string;
};

/**
 * One running projection: reads (with read-your-writes), its change stream, status and the
 * operator actions (rebuild, retry, skip).
 *
 * @example
 * ```ts
 * const balances = projections.get(AccountBalance);
 * const r = await app.send({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 500 } });
 * if (r.ok) console.log(await balances.get('a-1', { minPosition: r.position }));
 * ```
 */
export type Projection<V = unknown> = {
  readonly name: string;
  /** The value at `key`, undefined when absent. */
  get(key: string, options?: ReadOptions): Promise<V | undefined>;
  /** A key range, in key order. */
  entries(options?: EntriesOptions): Promise<ViewEntry<V>[]>;
  /** Entries that a secondary index files under `value`, in key order. */
  lookup(index: string, value: IndexKey, options?: ReadOptions): Promise<ViewEntry<V>[]>;
  /**
   * Resolves once the projection has processed `position` (whether or not it consumed it).
   * Rejects with `TimeoutError` naming the projection, the wanted and the reached positions;
   * with the projection's error if it fails first; with `ClosedError` if it is closed first.
   */
  waitFor(position: number, options?: WaitOptions): Promise<void>;
  /**
   * Every committed change, once, in position order, from the moment of subscription. Changes
   * are emitted right after their transaction committed; they are collected only while someone
   * subscribes (or a `publish` sink is set), so a subscription that begins while a batch is
   * committing receives that batch as its net effect (one change per key, at the batch's last
   * position). A rebuild's swap emits the differences between the old and the new view, at the
   * swap position.
   */
  readonly changes$: Observable<ViewChange<V>>;
  /**
   * Resumable changes: every change at `fromPosition` or later. When the view has already
   * committed changes at or after `fromPosition` (position C = its durable checkpoint), it first
   * replays the current state at C (each existing key, or just `key`, with `value: null` if it is
   * absent), all with `position: C`, and then follows from C + 1, with no gap and no duplicate.
   * A replay folds the missed changes into current values: keys deleted before C are not replayed,
   * so a consumer holding a full copy should rebuild it from a replay.
   */
  changesFrom(fromPosition: number, options?: ChangesFromOptions): Observable<ViewChange<V>>;
  status(): Promise<ProjectionStatus>;
  /**
   * Replays the log from position 1 into a fresh view and swaps it in atomically; reads keep
   * using the old view until then and never see a partial one. The live projection keeps
   * running during the replay, and continues from the swap position afterwards. A second call
   * while one runs returns the same promise.
   */
  rebuild(options?: RebuildOptions): Promise<RebuildResult>;
  /** Resumes a failed projection at the event it failed on. */
  retry(): void;
  /**
   * Stops following the log after the batch in flight (state `stopped`; reads keep working and
   * its lag grows); `resume()` continues from there.
   */
  stop(): Promise<void>;
  /** Follows the log again after `stop()`; does nothing unless the projection is stopped. */
  resume(): void;
  /** Records the event a failed projection stopped on as skipped, then resumes after it. */
  skip(): Promise<SkippedEvent>;
  /** Skips recorded so far, in position order. */
  skipped(): readonly SkippedEvent[];
};
