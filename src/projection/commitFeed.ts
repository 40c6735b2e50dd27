import type { Commit, EventLog } from '../eventLog/eventLog.js';

/**
 * One read of the log shared by the projections of a process. The feed pulls a batch only when a
 * projection asks for the position after its last one, and keeps the last few batches, so that
 * projections at about the same position read and decode each commit once. A projection behind
 * that window (catching up, or just rebuilt) reads with its own reader until it reaches the
 * window, then joins. Within the window the slowest attached projection holds the front back, so
 * that projections stay together instead of drifting apart. Memory stays bounded: `window`
 * batches plus one per own reader.
 *
 * @example
 * ```ts
 * const feed = createCommitFeed(log, { maxBatch: 1000 });
 * for await (const batch of feed.batches(checkpoint + 1, signal)) await commit(batch);
 * feed.close();
 * ```
 */
export type CommitFeed = {
  /**
   * Commits from `fromPosition` on, live, in position order, without gap or duplicate; the next
   * batch is read only when the consumer asks for it. Ends when `signal` aborts or the feed closes.
   */
  batches(fromPosition: number, signal: AbortSignal): AsyncIterable<readonly Commit[]>;
  close(): void;
};

/**
 * Options of {@link createCommitFeed}.
 *
 * @example
 * ```ts
 * createCommitFeed(log, { maxBatch: 1000, window: 4 });
 * ```
 */
export type CommitFeedOptions = {
  /** Most commits per batch. Default 1000. */
  readonly maxBatch?: number;
  /** Batches kept for projections a little behind the front. Default 4. */
  readonly window?: number;
};

type Shared = readonly Commit[] | Promise<readonly Commit[] | undefined>;
type Reader = { iterator: AsyncIterator<readonly Commit[]>; abort: AbortController };
type Member = { position: number; attached: boolean };

/**
 * Creates a shared feed over `log`.
 *
 * @example
 * ```ts
 * const feed = createCommitFeed(log);
 * ```
 */
export function createCommitFeed(log: EventLog, options: CommitFeedOptions = {}): CommitFeed {
  const maxBatch = options.maxBatch ?? 1000;
  const windowSize = Math.max(1, options.window ?? 4);
  let closed = false;
  let reader: Reader | undefined;
  let nextPosition = 0;
  const window: (readonly Commit[])[] = [];
  let pending: Promise<readonly Commit[] | undefined> | undefined;
  // Readers currently iterating; `attached` ones take their batches from the window.
  const members = new Set<Member>();
  let wake: (() => void) | undefined;
  const moved = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const release = (r: Reader | undefined) => {
    if (!r) return;
    r.abort.abort();
    // The reader is parked at a yield (or ends at once, being aborted): this only releases it.
    Promise.resolve(r.iterator.return?.()).catch(() => undefined);
  };

  const open = (position: number): Reader => {
    const abort = new AbortController();
    const iterable = log.readBatches({ fromPosition: position, maxBatch, live: true, signal: abort.signal });
    return { iterator: iterable[Symbol.asyncIterator](), abort };
  };

  // Pulling now would evict the oldest batch while an attached reader still needs it.
  const stranding = (): boolean => {
    if (window.length < windowSize) return false;
    const oldestLast = window[0]![window[0]!.length - 1]!.position;
    for (const m of members) if (m.attached && m.position <= oldestLast) return true;
    return false;
  };

  const pull = (): Promise<readonly Commit[] | undefined> => {
    const current = reader!;
    const read = (async () => {
      try {
        // Backpressure from the slowest attached reader: the front waits rather than strand it.
        while (stranding() && reader === current) await new Promise<void>((resolve) => (wake = resolve));
        if (reader !== current) return undefined;
        const r = await current.iterator.next();
        if (reader !== current) return undefined;
        pending = undefined;
        if (r.done) return undefined;
        window.push(r.value);
        if (window.length > windowSize) window.shift();
        nextPosition = r.value[r.value.length - 1]!.position + 1;
        return r.value;
      } catch (err) {
        if (reader === current) {
          pending = undefined;
          reader = undefined;
        }
        throw err;
      }
    })();
    pending = read;
    return read;
  };

  // The shared batch holding `position`, or undefined when this reader must read on its own.
  const shared = (me: Member): Shared | undefined => {
    const position = me.position;
    if (closed) return undefined;
    if (reader && position < nextPosition) {
      for (const batch of window) {
        const first = batch[0]!.position;
        const last = batch[batch.length - 1]!.position;
        if (position >= first && position <= last) return position === first ? batch : batch.filter((c) => c.position >= position);
      }
      return undefined;
    }
    if (reader && position === nextPosition) return pending ?? pull();
    // Not seated yet, or past the front while nobody else uses the feed: move the front forward.
    // Never backwards, so that one lagging projection cannot make the others re-read.
    const alone = ![...members].some((m) => m !== me && m.attached);
    if (!reader || (position > nextPosition && !pending && alone)) {
      release(reader);
      reader = open(position);
      nextPosition = position;
      window.length = 0;
      return pull();
    }
    return undefined;
  };

  async function* batches(fromPosition: number, signal: AbortSignal): AsyncGenerator<readonly Commit[]> {
    const me: Member = { position: Math.max(1, fromPosition), attached: false };
    let own: Reader | undefined;
    const dropOwn = () => {
      release(own);
      own = undefined;
    };
    const onAbort = () => {
      own?.abort.abort();
      moved();
    };
    signal.addEventListener('abort', onAbort);
    members.add(me);
    try {
      while (!signal.aborted && !closed) {
        const fromFeed = shared(me);
        let batch: readonly Commit[] | undefined;
        if (fromFeed !== undefined) {
          me.attached = true;
          dropOwn();
          batch = Array.isArray(fromFeed) ? (fromFeed as readonly Commit[]) : await untilAborted(fromFeed as Promise<readonly Commit[] | undefined>, signal);
        } else {
          me.attached = false;
          moved();
          own ??= open(me.position);
          const r = await own.iterator.next();
          batch = r.done ? undefined : r.value;
        }
        if (batch === undefined || signal.aborted) return;
        yield batch;
        me.position = batch[batch.length - 1]!.position + 1;
        moved();
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      members.delete(me);
      moved();
      dropOwn();
    }
  }

  return {
    batches,
    close() {
      closed = true;
      release(reader);
      reader = undefined;
      pending = undefined;
      window.length = 0;
      moved();
    },
  };
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
