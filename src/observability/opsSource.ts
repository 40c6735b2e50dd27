import type { EventLog } from '../eventLog/eventLog.js';
import type { Projections } from '../projection/createProjections.js';
import { checkHealth, type HealthReport, type ReadinessBounds } from './health.js';
import type { AppMetrics } from './metrics.js';
import { createProjectionSampler } from './projectionSampler.js';

/**
 * What the operations server shows: an app (`App` is one) or an app plus projections run beside it.
 *
 * @example
 * ```ts
 * const source: OpsSource = app;
 * const ops = await startOpsServer({ app: source, listen: ':9464' });
 * ```
 */
export type OpsSource = {
  readonly metrics: AppMetrics | undefined;
  readonly projections: Projections;
  health(bounds?: ReadinessBounds): Promise<HealthReport>;
};

/**
 * An app whose projections run outside it (created with `createProjections` over `app.log`, as
 * the demo does): its health and metrics then cover those projections too. Pass the same
 * observer to `createProjections` (`app.metrics.observer`) for their batch metrics.
 *
 * @example
 * ```ts
 * const projections = await createProjections({ log: app.log, path, projections: [AccountBalance], observer: app.metrics?.observer });
 * const ops = await startOpsServer({ app: withProjections(app, projections), listen: ':8080' });
 * ```
 */
export function withProjections(app: OpsSource & { readonly log: EventLog }, projections: Projections): OpsSource {
  const sampler = createProjectionSampler({ statuses: () => projections.statuses(), log: app.log });
  app.metrics?.bind({ projections: sampler });
  return {
    metrics: app.metrics,
    projections,
    async health(bounds) {
      const base = await app.health(bounds);
      const nats = base.nats && { ...base.nats, stop() {} };
      const own = await checkHealth({ logOpen: () => base.logOpen, liveActors: () => base.actors, projections: sampler, nats }, bounds);
      return { ...own, ready: base.ready && own.ready, reasons: [...new Set([...base.reasons, ...own.reasons])], projections: [...base.projections, ...own.projections] };
    },
  };
}
