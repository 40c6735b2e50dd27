/**
 * An event log that hands out the commits of a finished history the way the test says: released
 * chunk by chunk (all at once, one by one, random sizes), with batches that either stop at chunk
 * boundaries or take whatever has been released, and optionally with every delivery held by a
 * fast-check scheduler, which then decides in which order the waiting readers get their next
 * batch. The commits themselves were written by a real app on a real engine; only their delivery
 * to the projections is staged. It keeps the EventLog contract: batches are non-empty, in position
 * order, never above `maxBatch`, without gap or duplicate; a live read waits for the next release.
 */
import type fc from 'fast-check';
import { readAllFromBatches } from '../../../src/eventLog/readAllFromBatches.js';
import type { Commit, EventLog, ReadBatchesOptions } from '../../../src/index.js';

export type ChunkedLog = {
  readonly log: EventLog;
  /** Makes the first `count` commits readable; they form one chunk. */
  release(count: number): void;
  /** How many commits are readable. */
  readonly released: number;
  /** The position of the last readable commit (0 for none): positions have gaps where rejections were stored. */
  readonly releasedPosition: number;
};

export type ChunkedLogOptions = {
  /** true: a batch never crosses a chunk boundary; false: it takes everything released (up to maxBatch). */
  readonly boundaries: boolean;
  readonly scheduler?: fc.Scheduler;
};

export function createChunkedLog(base: EventLog, commits: readonly Commit[], options: ChunkedLogOptions): ChunkedLog {
  commits.forEach((c, i) => {
    if (i > 0 && c.position <= commits[i - 1]!.position) throw new Error(`the history's commits must be in position order; found ${c.position} at index ${i}`);
  });
  let released = 0;
  const ends: number[] = [];
  let waiters: Array<() => void> = [];
  const positionOf = (count: number): number => (count === 0 ? 0 : commits[count - 1]!.position);
  // How many commits lie below `position`: the index of the first one at or after it.
  const countBelow = (position: number): number => {
    const i = commits.findIndex((c) => c.position >= position);
    return i < 0 ? commits.length : i;
  };

  // Counts of commits: the batch after the first `from` ones ends after the first `end`.
  const batchEnd = (from: number, maxBatch: number): number => {
    let end = Math.min(released, from + maxBatch);
    if (options.boundaries) end = Math.min(end, ends.find((e) => e > from) ?? end);
    return end;
  };

  async function* batches(options_: ReadBatchesOptions = {}): AsyncGenerator<readonly Commit[]> {
    const { live = true, maxBatch = 1000, signal } = options_;
    let from = countBelow(Math.max(1, options_.fromPosition ?? 1));
    while (!signal?.aborted) {
      if (from >= released) {
        if (!live) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            signal?.removeEventListener('abort', done);
            resolve();
          };
          waiters.push(done);
          signal?.addEventListener('abort', done, { once: true });
        });
        continue;
      }
      const end = batchEnd(from, maxBatch);
      if (options.scheduler) await options.scheduler.schedule(Promise.resolve(), `deliver ${positionOf(from + 1)}..${positionOf(end)}${live ? '' : ' (catch-up)'}`);
      if (signal?.aborted) return;
      yield commits.slice(from, end);
      from = end;
    }
  }

  const log: EventLog = {
    engine: base.engine,
    append: () => Promise.reject(new Error('the chunked log is read-only')),
    readStream: (aggregate, id, opts) => base.readStream(aggregate, id, opts),
    readAll: (opts) => readAllFromBatches(batches, opts),
    readBatches: (opts) => batches(opts),
    headPosition: () => Promise.resolve(positionOf(released)),
    snapshots: base.snapshots,
    close: () => Promise.resolve(),
  };

  return {
    log,
    get released() {
      return released;
    },
    get releasedPosition() {
      return positionOf(released);
    },
    release(count) {
      if (count <= released) return;
      released = Math.min(count, commits.length);
      ends.push(released);
      const wake = waiters;
      waiters = [];
      for (const w of wake) w();
    },
  };
}
