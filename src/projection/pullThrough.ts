import { Observable } from 'rxjs';

/**
 * An Observable over a pull-based source with backpressure: the next value is read only after
 * `step` has settled for the previous one, so a slow step never lets reads run ahead (at most one
 * value is in hand). Emits each step's result; completes when the source ends; errors when the
 * source or a step fails. Unsubscribing aborts the source's signal, even while it waits for a
 * value; a step already running still settles (it may be committing), but its result is dropped.
 *
 * @example
 * ```ts
 * const run$ = pullThrough(
 *   (signal) => log.readBatches({ fromPosition: checkpoint + 1, signal }),
 *   (batch) => commitBatch(batch), // the next batch is read once this has committed
 * );
 * const subscription = run$.subscribe({ error: (err) => fail(err) });
 * ```
 */
export function pullThrough<T, R>(
  open: (signal: AbortSignal) => AsyncIterable<T>,
  step: (value: T) => R | Promise<R>,
): Observable<R> {
  return new Observable<R>((subscriber) => {
    const abort = new AbortController();
    (async () => {
      for await (const value of open(abort.signal)) {
        if (abort.signal.aborted) break;
        const result = await step(value);
        if (abort.signal.aborted) break;
        subscriber.next(result);
      }
      subscriber.complete();
    })().catch((err: unknown) => subscriber.error(err));
    return () => abort.abort();
  });
}
