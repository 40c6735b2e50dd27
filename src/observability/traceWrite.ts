import type { AggregateRegistry } from '../aggregate/aggregateRegistry.js';
import type { EventLog } from '../eventLog/eventLog.js';
import { wrapLog } from './wrapLog.js';
import { SpanAttributes, type TraceSpan, endWithError, endWithResult, startSpan, traceparentOf, tracerRegistered } from './tracing.js';

/**
 * Traces the write side: a `tributary.command.decide` span per command run on its aggregate, and
 * its child `tributary.log.append` span, whose traceparent is stored with the commit. A queued
 * command runs in its mailbox, outside the caller's async context, so the append finds its
 * decide span by commandId rather than by the active context.
 *
 * @example
 * ```ts
 * const traced = createWriteTracing();
 * const registry = traced.registry(createAggregateRegistry({ log: traced.log(log), logger }));
 * ```
 */
export type WriteTracing = {
  registry(registry: AggregateRegistry): AggregateRegistry;
  log(log: EventLog): EventLog;
};

/**
 * Creates the write-side tracing of one app; both wrappers are the identity unless a tracer
 * provider is registered (see {@link tracerRegistered}) when the app starts.
 *
 * @example
 * ```ts
 * const { registry, log } = createWriteTracing();
 * ```
 */
export function createWriteTracing(): WriteTracing {
  const deciding = new Map<string, TraceSpan>();
  return {
    registry(registry) {
      if (!tracerRegistered()) return registry;
      return {
        execute(definition, command) {
          const span = startSpan('tributary.command.decide', {
            [SpanAttributes.aggregate]: command.aggregate,
            [SpanAttributes.aggregateId]: command.id,
            [SpanAttributes.commandType]: command.type,
            [SpanAttributes.commandId]: command.commandId,
            [SpanAttributes.correlationId]: command.correlationId ?? command.commandId,
            [SpanAttributes.causationId]: command.commandId,
          });
          if (span !== undefined) deciding.set(command.commandId, span);
          // Not made the active span: entering a context per command costs more than the trace
          // gains here, and the append span finds this one by commandId anyway.
          return registry.execute(definition, command).then((result) => {
            if (span !== undefined) deciding.delete(command.commandId);
            return endWithResult(span, result);
          });
        },
        state: (definition, id) => registry.state(definition, id),
        get size() {
          return registry.size;
        },
        get evictions() {
          return registry.evictions;
        },
        drop: (aggregate) => registry.drop(aggregate),
        close: () => registry.close(),
      };
    },
    log(log) {
      if (!tracerRegistered()) return log;
      return wrapLog(log, {
        async append(aggregate, id, events, options) {
          // The decide span (its parent) holds the command's attributes; this one adds where it landed.
          const span = startSpan('tributary.log.append', { [SpanAttributes.aggregate]: aggregate }, { parent: deciding.get(options.commandId), kind: 'client' });
          try {
            const result = await log.append(aggregate, id, events, { ...options, traceparent: traceparentOf(span) });
            span?.setAttribute(SpanAttributes.position, result.position);
            span?.end();
            return result;
          } catch (err) {
            endWithError(span, err);
            throw err;
          }
        },
      });
    },
  };
}
