import { Observable } from 'rxjs';
import type { Commit, ReadAllOptions, ReadBatchesOptions } from './eventLog.js';

/**
 * Builds the push-based `readAll` Observable from an engine's pull-based `readBatches`.
 * Unsubscribing aborts the underlying read, even while it waits for new commits.
 *
 * @example
 * ```ts
 * readAll: (options) => readAllFromBatches((o) => readBatches(o), options),
 * ```
 */
export function readAllFromBatches(
  readBatches: (options: ReadBatchesOptions) => AsyncIterable<readonly Commit[]>,
  options: ReadAllOptions = {},
): Observable<Commit> {
  return new Observable<Commit>((subscriber) => {
    const abort = new AbortController();
    (async () => {
      for await (const batch of readBatches({ ...options, signal: abort.signal })) {
        for (const commit of batch) {
          if (subscriber.closed) return;
          subscriber.next(commit);
        }
      }
      subscriber.complete();
    })().catch((err: unknown) => {
      if (!abort.signal.aborted) subscriber.error(err);
    });
    return () => abort.abort();
  });
}
