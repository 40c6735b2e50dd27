import type { AggregateRegistry } from '../aggregate/aggregateRegistry.js';
import type { EventLog } from '../eventLog/eventLog.js';
import { wrapLog } from './wrapLog.js';
import { SpanAttributes, endWithError, endWithResult, startSpan, traceparentOf, withSpan, tracingAvailable } from './tracing.js';

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
 * Creates the write-side tracing of one app; both wrappers are the identity without the OTel API.
 *
 * @example
 * ```ts
 * const { registry, log } = createWriteTracing();
 * ```
 */
export function createWriteTracing(): WriteTracing {
  const deciding = new Map<string, string>();
  return {
    registry(registry) {
      if (!tracingAvailable) return registry;
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
          const traceparent = traceparentOf(span);
          if (traceparent !== undefined) deciding.set(command.commandId, traceparent);
          return withSpan(span, () => registry.execute(definition, command)).then((result) => {
            if (traceparent !== undefined) deciding.delete(command.commandId);
            return endWithResult(span, result);
          });
        },
        state: (definition, id) => registry.state(definition, id),
        get size() {
          return registry.size;
        },
        close: () => registry.close(),
      };
    },
    log(log) {
      if (!tracingAvailable) return log;
      return wrapLog(log, {
        async append(aggregate, id, events, options) {
          const span = startSpan(
            'tributary.log.append',
            {
              [SpanAttributes.aggregate]: aggregate,
              [SpanAttributes.aggregateId]: id,
              [SpanAttributes.commandId]: options.commandId,
              [SpanAttributes.correlationId]: options.correlationId ?? options.commandId,
              [SpanAttributes.causationId]: options.causationId ?? options.commandId,
            },
            { parent: deciding.get(options.commandId), kind: 'client' },
          );
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
