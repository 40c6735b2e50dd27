import type { EventLog } from '../eventLog/eventLog.js';
import type { NatsEventLog } from '../eventLog/nats/createNatsEventLog.js';
import type { ProcessStatus } from '../process/processTypes.js';
import type { ProjectionStatus } from '../projection/projection.js';
import { checkHealth, type HealthReport, type ReadinessBounds } from './health.js';
import { createMetrics, type AppMetrics, type MetricsOptions } from './metrics.js';
import { watchNatsStatus } from './natsStatus.js';
import { combineObservers, noopObserver, type Observer } from './observer.js';
import { createProjectionSampler } from './projectionSampler.js';
import type { ShardSource } from './shardMetrics.js';
import { createWriteTracing, type WriteTracing } from './traceWrite.js';
import { tracingObserver } from './tracing.js';

/**
 * The observability options of `createApp`.
 *
 * @example
 * ```ts
 * const options: ObservabilityOptions = { metrics: { processMetrics: true }, observer: { commandHandled: (o) => audit(o) } };
 * ```
 */
export type ObservabilityOptions = {
  /** Prometheus metrics on `app.metrics`: true (default), false for none, or their options. */
  metrics?: boolean | MetricsOptions;
  /** Also tell this observer of everything the app reports. */
  observer?: Observer;
  /**
   * OpenTelemetry spans for commands and projection batches, sent to the tracer provider the
   * process registered before `createApp` (none registered, or `@opentelemetry/api` not
   * installed: no span is made). Default true.
   */
  tracing?: boolean;
};

/**
 * The metrics and observer of one app, before its parts exist; `attach` binds them to the parts.
 *
 * @example
 * ```ts
 * const obs = createAppObservability(options);
 * const registry = createAggregateRegistry({ log: observeLog(log, obs.observer), logger, observer: obs.observer });
 * const attached = obs.attach({ log, liveActors: () => registry.size, statuses: () => projections.statuses(), closing: () => false });
 * ```
 */
export type AppObservability = {
  readonly metrics: AppMetrics | undefined;
  readonly observer: Observer;
  /** Wraps the registry and the write side's log in spans (the identity with tracing off). */
  readonly tracing: WriteTracing;
  attach(parts: AppParts): AttachedObservability;
};

/**
 * The running parts a health check and the sampled gauges read.
 *
 * @example
 * ```ts
 * const parts: AppParts = { log, liveActors: () => registry.size, statuses: () => projections.statuses(), closing: () => closed };
 * ```
 */
export type AppParts = {
  readonly log: EventLog;
  readonly liveActors: () => number;
  readonly statuses: () => Promise<ProjectionStatus[]>;
  /** The process managers' statuses (for their gauges); none when the app runs no process. */
  readonly processes?: () => Promise<readonly ProcessStatus[]>;
  /** This write node's shard ownership, when it serves commands on NATS with scale-out. */
  readonly shards?: ShardSource;
  readonly closing: () => boolean;
};

/**
 * Health checks of a running app; `stop()` ends its watch of the NATS connection.
 *
 * @example
 * ```ts
 * const report = await attached.health({ maxLagSeconds: 30 });
 * attached.stop();
 * ```
 */
export type AttachedObservability = {
  health(bounds?: ReadinessBounds): Promise<HealthReport>;
  stop(): void;
};

/**
 * Creates the metrics (unless `metrics: false`) and the observer that the app's parts report to.
 *
 * @example
 * ```ts
 * const { metrics, observer } = createAppObservability({ metrics: true });
 * ```
 */
export function createAppObservability(options: ObservabilityOptions): AppObservability {
  const metrics = options.metrics === false ? undefined : createMetrics(options.metrics === true ? {} : options.metrics);
  const traced = options.tracing !== false;
  const observer = combineObservers(metrics?.observer ?? noopObserver, traced ? tracingObserver : noopObserver, options.observer ?? noopObserver);
  return {
    metrics,
    observer,
    tracing: traced ? createWriteTracing() : { registry: (r) => r, log: (l) => l },
    attach(parts) {
      const nats = parts.log.engine === 'nats' ? watchNatsStatus((parts.log as NatsEventLog).connection) : undefined;
      const projections = createProjectionSampler({ statuses: parts.statuses, log: parts.log });
      metrics?.bind({ liveActors: parts.liveActors, projections, nats, ...(parts.processes && { processes: parts.processes }), ...(parts.shards && { shards: parts.shards }) });
      const logOpen = () => !parts.closing() && (parts.log.engine !== 'nats' || !(parts.log as NatsEventLog).connection.isClosed());
      return {
        health: (bounds) => checkHealth({ logOpen, liveActors: parts.liveActors, projections, nats }, bounds),
        stop: () => nats?.stop(),
      };
    },
  };
}
