import { createRequire } from 'node:module';
import type * as Otel from '@opentelemetry/api';
import { commandSpan } from './commandSpans.js';
import type { Observer } from './observer.js';

// @opentelemetry/api is an optional peer dependency: without it every function here is a no-op.
// With it and no tracer provider registered, its tracer is the API's own no-op. It is required,
// not awaited: a top-level await would stop `require('tributary')` (Node refuses to require an
// async module) and a TypeScript config that tsx compiles as CommonJS. Node resolves both
// `import` and `require` of the API to its one CommonJS build, so the provider an app registers
// is the one seen here.
function loadApi(): typeof Otel | undefined {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as typeof Otel;
  } catch {
    return undefined;
  }
}
const api = loadApi();

/** The span attribute names Tributary sets (bounded values; ids only as attributes, never as metric labels). */
export const SpanAttributes = {
  aggregate: 'tributary.aggregate',
  aggregateId: 'tributary.aggregate_id',
  commandType: 'tributary.command.type',
  commandId: 'tributary.command_id',
  correlationId: 'tributary.correlation_id',
  causationId: 'tributary.causation_id',
  outcome: 'tributary.outcome',
  position: 'tributary.position',
  projection: 'tributary.projection',
  commits: 'tributary.commits',
  subject: 'messaging.destination.name',
} as const;

/**
 * A span in progress, or nothing (tracing off): what the instrumented code needs of one.
 *
 * @example
 * ```ts
 * const span = startSpan('tributary.command.decide', { [SpanAttributes.aggregate]: 'Account' });
 * span?.end();
 * ```
 */
export type TraceSpan = Otel.Span;

/**
 * True when the process registered a tracer provider: until then no span is even created, so an
 * app that does not trace pays nothing.
 *
 * @example
 * ```ts
 * if (!tracerRegistered()) logger.info('no tracer provider registered: tracing is off');
 * ```
 */
export function tracerRegistered(): boolean {
  return registeredTracer() !== undefined;
}

/**
 * The tracer of the provider registered now, without the API's proxy in front of it; undefined
 * when none is registered. For the per-command spans: the write side looks it up once when the
 * app starts instead of going through the proxy and this check for every span.
 *
 * @example
 * ```ts
 * const tracer = registeredTracer();
 * tracer?.startSpan('tributary.command.decide').end();
 * ```
 */
export function registeredTracer(): Otel.Tracer | undefined {
  if (api === undefined) return undefined;
  const provider = api.trace.getTracerProvider();
  if (!(provider instanceof api.ProxyTracerProvider)) return provider.getTracer(TRACER_NAME);
  const delegate = provider.getDelegate();
  return delegate === NOOP_PROVIDER ? undefined : delegate.getTracer(TRACER_NAME);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

const TRACER_NAME = 'tributary';
// The API's proxy tracer: it follows whichever provider is registered, even later.
const tracer: Otel.Tracer | undefined = api?.trace.getTracer(TRACER_NAME);
// The API's own no-op provider, which a proxy delegates to until a real one is registered.
const NOOP_PROVIDER = api && new api.ProxyTracerProvider().getDelegate();
const KINDS = api && { client: api.SpanKind.CLIENT, server: api.SpanKind.SERVER, consumer: api.SpanKind.CONSUMER, internal: api.SpanKind.INTERNAL };

/**
 * The context helpers of the OpenTelemetry API, for code that starts spans on a tracer of its own
 * (see {@link registeredTracer}); undefined without the API.
 *
 * @example
 * ```ts
 * const span = tracer.startSpan('tributary.log.append', { kind: contexts.kinds.client }, contexts.under(parent));
 * ```
 */
export function spanContexts():
  | { active: () => Otel.Context; under: (parent: TraceSpan) => Otel.Context; kinds: NonNullable<typeof KINDS> }
  | undefined {
  if (api === undefined || KINDS === undefined) return undefined;
  const { context, trace, ROOT_CONTEXT } = api;
  return { active: () => context.active(), under: (parent) => trace.setSpan(ROOT_CONTEXT, parent), kinds: KINDS };
}

/**
 * The W3C `traceparent` of a span (`00-<trace id>-<span id>-<flags>`), or undefined for a span
 * that is not recording anything worth linking to.
 *
 * @example
 * ```ts
 * headers.set('traceparent', traceparentOf(span)!);
 * ```
 */
export function traceparentOf(span: TraceSpan | undefined): string | undefined {
  const c = span?.spanContext();
  // The ids of a span are the API's invalid ones or well-formed (its own check would run two
  // regular expressions per command).
  if (c === undefined || api === undefined || c.traceId === api.INVALID_TRACEID || c.spanId === api.INVALID_SPANID) return undefined;
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * Parses a W3C `traceparent` into a remote span context; undefined when absent or malformed.
 *
 * @example
 * ```ts
 * const remote = parseTraceparent(msg.headers?.get('traceparent'));
 * ```
 */
export function parseTraceparent(value: string | undefined): Otel.SpanContext | undefined {
  const m = value === undefined ? null : TRACEPARENT.exec(value);
  if (m === null || api === undefined) return undefined;
  const context = { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
  return api.isSpanContextValid(context) ? context : undefined;
}

/**
 * Starts a span, as a child of `parent` (a traceparent or a span) when given, else of the active span.
 *
 * @example
 * ```ts
 * const span = startSpan('tributary.log.append', {}, { parent: traceparent });
 * ```
 */
export function startSpan(
  name: string,
  attributes: Otel.Attributes,
  options: { parent?: string | TraceSpan | undefined; kind?: 'client' | 'server' | 'consumer' | 'internal'; links?: Otel.Link[]; startTime?: number } = {},
): TraceSpan | undefined {
  if (tracer === undefined || api === undefined || KINDS === undefined || !tracerRegistered()) return undefined;
  const { parent } = options;
  let within = api.context.active();
  if (typeof parent === 'string') {
    const remote = parseTraceparent(parent);
    if (remote) within = api.trace.setSpanContext(within, remote);
  } else if (parent !== undefined) within = api.trace.setSpan(within, parent);
  return tracer.startSpan(name, { attributes, kind: KINDS[options.kind ?? 'internal'], links: options.links, startTime: options.startTime }, within);
}

/**
 * Runs `fn` with `span` as the active span, so spans started inside are its children.
 *
 * @example
 * ```ts
 * const result = await withSpan(span, () => dispatch(command));
 * ```
 */
export function withSpan<T>(span: TraceSpan | undefined, fn: () => T): T {
  if (span === undefined || api === undefined) return fn();
  return api.context.with(api.trace.setSpan(api.context.active(), span), fn);
}

// Structural, so that this base-layer module needs nothing from the layers that use it.
type Answer = { readonly ok: true; readonly position: number } | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/**
 * Ends a span with the outcome of a command: status error unless ok.
 *
 * @example
 * ```ts
 * endWithResult(span, await send(command));
 * ```
 */
export function endWithResult<R extends Answer>(span: TraceSpan | undefined, result: R): R {
  if (span === undefined || api === undefined) return result;
  span.setAttribute(SpanAttributes.outcome, result.ok ? 'ok' : result.error.code);
  if (result.ok) span.setAttribute(SpanAttributes.position, result.position);
  else span.setStatus({ code: api.SpanStatusCode.ERROR, message: result.error.message });
  span.end();
  return result;
}

/**
 * Ends a span with an error.
 *
 * @example
 * ```ts
 * endWithError(span, err);
 * ```
 */
export function endWithError(span: TraceSpan | undefined, err: unknown): void {
  if (span === undefined || api === undefined) return;
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.end();
}

/**
 * The trace and span id of a log line (`trace_id`, `span_id`), as a pino mixin: the span of the
 * command the line names (its `commandId` field, while that command runs in this process), else
 * the active span; empty when neither. That is how the lines of a command run in its mailbox,
 * outside its caller's async context, carry its trace too.
 *
 * @example
 * ```ts
 * const logger = createLogger({ mixin: activeTraceFields });
 * ```
 */
export function activeTraceFields(fields?: object): Record<string, string> {
  if (api === undefined) return {};
  const commandId = (fields as { commandId?: unknown } | undefined)?.commandId;
  const span = (typeof commandId === 'string' ? commandSpan(commandId) : undefined) ?? api.trace.getActiveSpan();
  const c = span?.spanContext();
  if (c === undefined || !api.isSpanContextValid(c)) return {};
  return { trace_id: c.traceId, span_id: c.spanId };
}

/**
 * Runs the handling of one received command in a `tributary.command.receive` span that continues
 * the sender's trace (its `traceparent` header), so the decide, append and reply spans are its
 * children.
 *
 * @example
 * ```ts
 * await traceReceive(msg.headers?.get('traceparent'), msg.subject, () => handle(msg));
 * ```
 */
export function traceReceive(traceparent: string | undefined, subject: string, run: () => Promise<void>): Promise<void> {
  const span = startSpan('tributary.command.receive', { [SpanAttributes.subject]: subject }, { parent: traceparent, kind: 'server' });
  if (span === undefined) return run();
  return withSpan(span, run).then(
    () => span.end(),
    (err: unknown) => {
      endWithError(span, err);
      throw err;
    },
  );
}

const MAX_LINKS = 128;

/**
 * The observer that traces projections: one `tributary.projection.batch` span per committed batch,
 * linked to the append span of each traced commit in it (the traceparent stored with the commit).
 *
 * @example
 * ```ts
 * const observer = combineObservers(metrics.observer, tracingObserver);
 * ```
 */
export const tracingObserver: Observer = {
  projectionBatch(projection, commits, seconds) {
    if (api === undefined || !tracerRegistered()) return;
    const links: Otel.Link[] = [];
    const seen = new Set<string>();
    for (const commit of commits) {
      const context = commit.traceparent === undefined || seen.has(commit.traceparent) ? undefined : parseTraceparent(commit.traceparent);
      if (context === undefined) continue;
      seen.add(commit.traceparent!);
      links.push({ context, attributes: { [SpanAttributes.position]: commit.position } });
      if (links.length >= MAX_LINKS) break;
    }
    const end = Date.now();
    const span = startSpan(
      'tributary.projection.batch',
      {
        [SpanAttributes.projection]: projection,
        [SpanAttributes.commits]: commits.length,
        [SpanAttributes.position]: commits[commits.length - 1]?.position ?? 0,
      },
      { kind: 'consumer', links, startTime: end - seconds * 1000 },
    );
    span?.end(end);
  },
};
