import type { EventLog, RefuseOptions } from '../eventLog/eventLog.js';

/**
 * A log that delegates to `log` except where `overrides` says otherwise: how the write side's
 * log gets its metrics and tracing without the engines knowing.
 *
 * @example
 * ```ts
 * const timed = wrapLog(log, { append: (aggregate, id, events, options) => time(() => log.append(aggregate, id, events, options)) });
 * ```
 */
export function wrapLog(log: EventLog, overrides: Partial<Pick<EventLog, 'append' | 'snapshots'>>): EventLog {
  return {
    engine: log.engine,
    exclusiveWriter: log.exclusiveWriter,
    append: overrides.append ?? ((aggregate, id, events, options) => log.append(aggregate, id, events, options)),
    readStream: (aggregate, id, options) => log.readStream(aggregate, id, options),
    readAll: (options) => log.readAll(options),
    readBatches: (options) => log.readBatches(options),
    headPosition: () => log.headPosition(),
    ...(log.firstDecision !== undefined && { firstDecision: (commandId: string) => log.firstDecision!(commandId) }),
    ...(log.refuse !== undefined && { refuse: (aggregate: string, id: string, answer: unknown, options: RefuseOptions) => log.refuse!(aggregate, id, answer, options) }),
    snapshots: overrides.snapshots ?? log.snapshots,
    close: () => log.close(),
  };
}
