import type { NatsStatus } from './natsStatus.js';
import type { ProjectionSample, ProjectionSampler } from './projectionSampler.js';

/**
 * Bounds past which an app is not ready. Each is off unless given.
 *
 * @example
 * ```ts
 * const report = await app.health({ maxLagCommits: 10_000, maxLagSeconds: 30 });
 * ```
 */
export type ReadinessBounds = {
  /** Not ready while a projection has more commits than this still to apply. */
  readonly maxLagCommits?: number;
  /** Not ready while a projection's oldest unapplied commit is older than this. */
  readonly maxLagSeconds?: number;
};

/**
 * A health report: ready or not, and why not (one sentence per reason), with what it looked at.
 *
 * @example
 * ```ts
 * const { ready, reasons } = await app.health();
 * if (!ready) console.warn(reasons.join('; '));
 * ```
 */
export type HealthReport = {
  readonly ready: boolean;
  readonly reasons: readonly string[];
  /** False once the app is closing or its log connection is closed. */
  readonly logOpen: boolean;
  /** NATS engine only. */
  readonly nats?: { readonly connected: boolean; readonly reconnects: number };
  readonly actors: number;
  readonly projections: readonly ProjectionSample[];
};

/**
 * What a health check reads from a running app.
 *
 * @example
 * ```ts
 * const sources: HealthSources = { logOpen: () => !closing, liveActors: () => registry.size, projections: sampler };
 * ```
 */
export type HealthSources = {
  readonly logOpen: () => boolean;
  readonly liveActors: () => number;
  readonly projections: ProjectionSampler;
  readonly nats?: NatsStatus;
};

/**
 * Checks readiness: not ready while the log is not open, NATS is disconnected, a projection has
 * halted, or a projection lags past a bound.
 *
 * @example
 * ```ts
 * const report = await checkHealth(sources, { maxLagSeconds: 30 });
 * res.statusCode = report.ready ? 200 : 503;
 * ```
 */
export async function checkHealth(sources: HealthSources, bounds: ReadinessBounds = {}): Promise<HealthReport> {
  const reasons: string[] = [];
  const logOpen = sources.logOpen();
  if (!logOpen) reasons.push('the event log is not open (the app is closing)');
  const nats = sources.nats && { connected: sources.nats.connected, reconnects: sources.nats.reconnects };
  if (nats && !nats.connected) reasons.push('NATS is disconnected');
  const projections = logOpen ? await sources.projections.sample() : [];
  for (const p of projections) {
    if (p.state === 'failed') reasons.push(`projection ${p.name} halted at position ${p.position + 1}: ${p.error?.message ?? 'an error'}`);
    if (bounds.maxLagCommits !== undefined && p.lag > bounds.maxLagCommits) {
      reasons.push(`projection ${p.name} lags ${p.lag} commits (bound ${bounds.maxLagCommits})`);
    }
    if (bounds.maxLagSeconds !== undefined && p.lagSeconds > bounds.maxLagSeconds) {
      reasons.push(`projection ${p.name} lags ${p.lagSeconds.toFixed(1)} s (bound ${bounds.maxLagSeconds} s)`);
    }
  }
  return { ready: reasons.length === 0, reasons, logOpen, ...(nats && { nats }), actors: sources.liveActors(), projections };
}
