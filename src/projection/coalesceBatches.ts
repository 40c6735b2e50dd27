/**
 * Batching by time on top of a pull-based source: after a batch smaller than `maxBatch`, keeps
 * pulling for up to `maxDelay` ms and joins what arrives, so that a trickle of commits costs one
 * transaction per `maxDelay` rather than one each. `maxDelay` 0 passes batches through as they
 * come (a pull source already batches whatever accumulated while the consumer was busy). A read
 * that outlives the delay is kept for the next batch, never lost.
 *
 * @example
 * ```ts
 * for await (const batch of coalesceBatches(feed.batches(from, signal), { maxBatch: 1000, maxDelay: 5 })) {
 *   await commit(batch);
 * }
 * ```
 */
export async function* coalesceBatches<T>(
  source: AsyncIterable<readonly T[]>,
  options: { readonly maxBatch: number; readonly maxDelay: number },
): AsyncGenerator<readonly T[]> {
  if (options.maxDelay <= 0) {
    yield* source;
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<readonly T[]>> | undefined;
  let ended = false;
  try {
    while (!ended) {
      const first = await (pending ?? iterator.next());
      pending = undefined;
      if (first.done) return;
      let batch = first.value;
      const deadline = performance.now() + options.maxDelay;
      while (batch.length < options.maxBatch) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) break;
        pending = iterator.next();
        const next = await raceTimeout(pending, remaining);
        if (next === undefined) break;
        pending = undefined;
        if (next.done) {
          ended = true;
          break;
        }
        batch = batch.concat(next.value);
      }
      yield batch;
    }
  } finally {
    // A read still pending is ended by the source's signal, but it may already have produced its
    // value: the source then waits at that yield until it is returned, holding on to whatever it
    // holds (a shared feed keeps its batches for it). Return it once the read settles, without
    // waiting here for a read that may be a live wait.
    if (pending) void pending.then(() => iterator.return?.()).catch(() => undefined);
    else await iterator.return?.();
  }
}

function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
