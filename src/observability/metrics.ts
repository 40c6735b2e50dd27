import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NatsStatus } from './natsStatus.js';
import type { Observer } from './observer.js';
import type { ProjectionSample, ProjectionSampler } from './projectionSampler.js';

/**
 * Options of {@link createMetrics}.
 *
 * @example
 * ```ts
 * const metrics = createMetrics({ registry: new Registry(), processMetrics: true });
 * ```
 */
export type MetricsOptions = {
  /** Register on this prom-client registry (to serve it with other metrics). Default: a new one. */
  readonly registry?: Registry;
  /** Also collect prom-client's default process metrics (CPU, memory, event loop lag). Default false. */
  readonly processMetrics?: boolean;
};

/**
 * Where the sampled gauges read from: bound once the app's parts exist.
 *
 * @example
 * ```ts
 * metrics.bind({ liveActors: () => registry.size, projections: sampler, nats: watchNatsStatus(nc) });
 * ```
 */
export type MetricSources = {
  readonly liveActors?: () => number;
  readonly projections?: ProjectionSampler;
  readonly nats?: NatsStatus;
};

/**
 * An app's Prometheus metrics: the registry to serve (`await metrics.registry.metrics()`), and the
 * {@link Observer} that feeds it. All names start with `tributary_`; no label carries an aggregate id.
 *
 * @example
 * ```ts
 * const app = await createApp({ engine: 'embedded', dataDir: './data', aggregates: [Account] });
 * res.setHeader('Content-Type', app.metrics!.registry.contentType);
 * res.end(await app.metrics!.registry.metrics());
 * ```
 */
export type AppMetrics = {
  readonly registry: Registry;
  readonly observer: Observer;
  bind(sources: MetricSources): void;
};

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/**
 * Creates the metrics of one app (see the README's "Operations" for every name).
 *
 * @example
 * ```ts
 * const metrics = createMetrics();
 * metrics.observer.commandHandled?.({ aggregate: 'Account', type: 'Deposit', code: 'ok', seconds: 0.002 });
 * console.log(await metrics.registry.metrics());
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): AppMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  let sources: MetricSources = {};

  const commands = new Counter({ name: 'tributary_commands_total', help: 'Commands answered, by aggregate, command type and outcome code (ok or the error code).', labelNames: ['aggregate', 'type', 'code'], registers });
  const commandSeconds = new Histogram({ name: 'tributary_command_duration_seconds', help: 'Time from receipt of a command to its reply.', labelNames: ['aggregate', 'type'], buckets: LATENCY_BUCKETS, registers });
  const conflicts = new Counter({ name: 'tributary_command_conflicts_total', help: 'Commands answered with conflict.', labelNames: ['aggregate'], registers });
  const retries = new Counter({ name: 'tributary_command_retries_total', help: 'Command attempts retried after a write conflict.', labelNames: ['aggregate'], registers });
  const dedupe = new Counter({ name: 'tributary_command_dedupe_hits_total', help: 'Repeated commandIds answered with their first decision.', labelNames: ['aggregate'], registers });
  const loads = new Counter({ name: 'tributary_actor_loads_total', help: 'Aggregate instances brought into memory.', labelNames: ['aggregate'], registers });
  const evictions = new Counter({ name: 'tributary_actor_evictions_total', help: 'Idle aggregate instances evicted from memory.', labelNames: ['aggregate'], registers });
  const snapshotLoads = new Counter({ name: 'tributary_snapshot_loads_total', help: 'Aggregate snapshot loads, by whether one was found.', labelNames: ['aggregate', 'found'], registers });
  const snapshotSaves = new Counter({ name: 'tributary_snapshot_saves_total', help: 'Aggregate snapshots saved.', labelNames: ['aggregate'], registers });
  const appendSeconds = new Histogram({ name: 'tributary_append_duration_seconds', help: 'Event log append latency, by outcome (ok, duplicate or the error code).', labelNames: ['outcome'], buckets: LATENCY_BUCKETS, registers });
  const batchSize = new Histogram({ name: 'tributary_projection_batch_commits', help: 'Commits per projection batch.', labelNames: ['projection'], buckets: BATCH_BUCKETS, registers });
  const batchSeconds = new Histogram({ name: 'tributary_projection_batch_duration_seconds', help: 'Time to apply and commit one projection batch.', labelNames: ['projection'], buckets: LATENCY_BUCKETS, registers });

  new Gauge({
    name: 'tributary_actors_live',
    help: 'Aggregate instances in memory.',
    registers,
    collect() {
      this.set(sources.liveActors?.() ?? 0);
    },
  });
  new Gauge({
    name: 'tributary_nats_connected',
    help: '1 while the NATS connection is up (NATS engine only).',
    registers,
    collect() {
      if (sources.nats) this.set(sources.nats.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tributary_nats_reconnects',
    help: 'Reconnects of the NATS connection since start (NATS engine only).',
    registers,
    collect() {
      if (sources.nats) this.set(sources.nats.reconnects);
    },
  });

  const projectionGauge = (name: string, help: string, value: (s: ProjectionSample) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['projection'],
      registers,
      async collect() {
        const samples = (await sources.projections?.sample()) ?? [];
        this.reset();
        for (const s of samples) this.set({ projection: s.name }, value(s));
      },
    });
  projectionGauge('tributary_projection_position', 'Last position the projection applied.', (s) => s.position);
  projectionGauge('tributary_projection_head_position', 'Last position of the event log, as the projection sees it.', (s) => s.headPosition);
  projectionGauge('tributary_projection_lag_commits', 'Commits the projection has still to apply.', (s) => s.lag);
  projectionGauge('tributary_projection_lag_seconds', 'Age of the oldest commit the projection has not applied (0 when caught up).', (s) => s.lagSeconds);
  projectionGauge('tributary_projection_skipped_events', 'Poison events skipped so far.', (s) => s.skipped);
  projectionGauge('tributary_projection_halted', '1 while the projection is stopped on an error (a poison event).', (s) => (s.state === 'failed' ? 1 : 0));
  projectionGauge('tributary_projection_running', '1 while the projection follows the log.', (s) => (s.state === 'running' ? 1 : 0));

  const observer: Observer = {
    commandHandled({ aggregate, type, code, seconds }) {
      commands.inc({ aggregate, type, code });
      commandSeconds.observe({ aggregate, type }, seconds);
      if (code === 'conflict') conflicts.inc({ aggregate });
    },
    commandRetried: (aggregate) => retries.inc({ aggregate }),
    dedupeHit: (aggregate) => dedupe.inc({ aggregate }),
    actorLoaded: (aggregate) => loads.inc({ aggregate }),
    actorEvicted: (aggregate) => evictions.inc({ aggregate }),
    snapshotLoaded: (aggregate, found) => snapshotLoads.inc({ aggregate, found: found ? 'true' : 'false' }),
    snapshotSaved: (aggregate) => snapshotSaves.inc({ aggregate }),
    appended: (seconds, outcome) => appendSeconds.observe({ outcome }, seconds),
    projectionBatch(projection, commits, seconds) {
      batchSize.observe({ projection }, commits.length);
      batchSeconds.observe({ projection }, seconds);
    },
  };

  return {
    registry,
    observer,
    bind(next) {
      sources = { ...sources, ...next };
    },
  };
}
