import { toErrorShape } from '../errors.js';
import type { EventLog } from '../eventLog/eventLog.js';
import type { Observer } from './observer.js';
import { wrapLog } from './wrapLog.js';

/**
 * The write side's view of a log that reports append latency and snapshot loads and saves to
 * `observer`. Everything else passes straight through; the engine itself stays unaware.
 *
 * @example
 * ```ts
 * const registry = createAggregateRegistry({ log: observeLog(log, metrics.observer), logger });
 * ```
 */
export function observeLog(log: EventLog, observer: Observer): EventLog {
  const { appended, snapshotLoaded, snapshotSaved } = observer;
  if (appended === undefined && snapshotLoaded === undefined && snapshotSaved === undefined) return log;
  return wrapLog(log, {
    append(aggregate, id, events, options) {
      const started = performance.now();
      return log.append(aggregate, id, events, options).then(
        (result) => {
          appended?.((performance.now() - started) / 1000, result.duplicate ? 'duplicate' : 'ok');
          return result;
        },
        (err: unknown) => {
          appended?.((performance.now() - started) / 1000, toErrorShape(err).code);
          throw err;
        },
      );
    },
    snapshots: {
      async load(aggregate, id) {
        const snapshot = await log.snapshots.load(aggregate, id);
        snapshotLoaded?.(aggregate, snapshot !== undefined);
        return snapshot;
      },
      async save(aggregate, id, snapshot) {
        await log.snapshots.save(aggregate, id, snapshot);
        snapshotSaved?.(aggregate);
      },
    },
  });
}
