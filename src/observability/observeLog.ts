import type { EventLog } from '../eventLog/eventLog.js';
import type { Observer } from './observer.js';
import { wrapLog } from './wrapLog.js';

/**
 * The write side's view of a log that reports snapshot loads and saves to `observer`. Everything
 * else passes straight through; the engine itself stays unaware. (Append latency is reported by
 * the command attempt, which awaits the append anyway: a wrapper here would cost a promise per
 * command.)
 *
 * @example
 * ```ts
 * const registry = createAggregateRegistry({ log: observeLog(log, metrics.observer), logger });
 * ```
 */
export function observeLog(log: EventLog, observer: Observer): EventLog {
  const { snapshotLoaded, snapshotSaved } = observer;
  if (snapshotLoaded === undefined && snapshotSaved === undefined) return log;
  return wrapLog(log, {
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
