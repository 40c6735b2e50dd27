import type { Context, Tracer } from '@opentelemetry/api';
import type { AggregateRegistry } from '../aggregate/aggregateRegistry.js';
import type { EventLog } from '../eventLog/eventLog.js';
import { commandEnded, commandSpan, commandStarted } from './commandSpans.js';
import { wrapLog } from './wrapLog.js';
import { SpanAttributes, endWithError, endWithResult, registeredTracer, spanContexts, traceparentOf } from './tracing.js';

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

const identity: WriteTracing = { registry: (r) => r, log: (l) => l };

/**
 * Creates the write-side tracing of one app; both wrappers are the identity unless a tracer
 * provider is registered (see `tracerRegistered`) when the app starts. The spans go straight to
 * that provider's tracer, looked up once here: they are made for every command.
 *
 * @example
 * ```ts
 * const { registry, log } = createWriteTracing();
 * ```
 */
export function createWriteTracing(): WriteTracing {
  const tracer: Tracer | undefined = registeredTracer();
  const contexts = spanContexts();
  if (tracer === undefined || contexts === undefined) return identity;
  const { active, under, kinds } = contexts;
  return {
    registry(registry) {
      return {
        execute(definition, command) {
          const attributes = {
            [SpanAttributes.aggregate]: command.aggregate,
            [SpanAttributes.aggregateId]: command.id,
            [SpanAttributes.commandType]: command.type,
            [SpanAttributes.commandId]: command.commandId,
            [SpanAttributes.correlationId]: command.correlationId ?? command.commandId,
            [SpanAttributes.causationId]: command.commandId,
          };
          const span = tracer.startSpan('tributary.command.decide', { kind: kinds.internal, attributes }, active());
          commandStarted(command.commandId, span);
          return registry.execute(definition, command).then(
            (result) => {
              commandEnded(command.commandId);
              return endWithResult(span, result);
            },
            (err: unknown) => {
              commandEnded(command.commandId);
              endWithError(span, err);
              throw err;
            },
          );
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
      return wrapLog(log, {
        append(aggregate, id, events, options) {
          // The decide span (its parent) holds the command's attributes; this one adds where it landed.
          const parent = commandSpan(options.commandId);
          const within: Context = parent === undefined ? active() : under(parent);
          const span = tracer.startSpan('tributary.log.append', { kind: kinds.client, attributes: { [SpanAttributes.aggregate]: aggregate } }, within);
          return log.append(aggregate, id, events, { ...options, traceparent: traceparentOf(span) }).then(
            (result) => {
              span.setAttribute(SpanAttributes.position, result.position);
              span.end();
              return result;
            },
            (err: unknown) => {
              endWithError(span, err);
              throw err;
            },
          );
        },
      });
    },
  };
}
