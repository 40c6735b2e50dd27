import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProcessStatus } from '../process/processTypes.js';
import type { NatsStatus } from './natsStatus.js';
import type { Observer } from './observer.js';
import type { ProjectionSample, ProjectionSampler } from './projectionSampler.js';
import { shardMetrics, type ShardSource } from './shardMetrics.js';
import { seriesCounter, seriesHistogram, type CounterSeries, type HistogramSeries, type SeriesFamily } from './seriesMetrics.js';

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
  /** The process managers' statuses, read once per scrape (in memory, plus the log's head). */
  readonly processes?: () => Promise<readonly ProcessStatus[]>;
  /** This write node's shard ownership (NATS engine, scale-out). */
  readonly shards?: ShardSource;
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

// The series of a family with one label, by that label's value.
function byOne<S>(label: string, family: SeriesFamily<S>): (value: string) => S {
  const known = new Map<string, S>();
  return (value) => {
    let s = known.get(value);
    if (s === undefined) {
      s = family.series({ [label]: value });
      known.set(value, s);
    }
    return s;
  };
}

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

  const counter = (name: string, help: string) => seriesCounter(registry, name, help);
  const histogram = (name: string, help: string, bounds: readonly number[]) => seriesHistogram(registry, name, help, bounds);
  const commands = counter('tributary_commands_total', 'Commands answered, by aggregate, command type and outcome code (ok or the error code).');
  const commandSeconds = histogram('tributary_command_duration_seconds', 'Time from receipt of a command to its reply, by aggregate and command type.', LATENCY_BUCKETS);
  const conflicts = byOne('aggregate', counter('tributary_command_conflicts_total', 'Commands answered with conflict.'));
  const retries = byOne('aggregate', counter('tributary_command_retries_total', 'Command attempts retried after a write conflict.'));
  const dedupe = byOne('aggregate', counter('tributary_command_dedupe_hits_total', 'Repeated commandIds answered with their first decision.'));
  const loads = byOne('aggregate', counter('tributary_actor_loads_total', 'Aggregate instances brought into memory.'));
  const evictions = byOne('aggregate', counter('tributary_actor_evictions_total', 'Idle aggregate instances evicted from memory.'));
  const snapshotLoads = counter('tributary_snapshot_loads_total', 'Aggregate snapshot loads, by whether one was found.');
  const snapshotSaves = byOne('aggregate', counter('tributary_snapshot_saves_total', 'Aggregate snapshots saved.'));
  const appendSeconds = byOne('outcome', histogram('tributary_append_duration_seconds', 'Event log append latency, by outcome (ok, duplicate or the error code).', LATENCY_BUCKETS));
  const batchSize = byOne('projection', histogram('tributary_projection_batch_commits', 'Commits per projection batch.', BATCH_BUCKETS));
  const batchSeconds = byOne('projection', histogram('tributary_projection_batch_duration_seconds', 'Time to apply and commit one projection batch.', LATENCY_BUCKETS));
  // The command path's series, by aggregate then type then code: three lookups of names the app
  // already holds (their hashes cached), instead of building a key or a label object per command.
  type TypeSeries = { seconds: HistogramSeries; byCode: Map<string, CounterSeries> };
  const handled = new Map<string, Map<string, TypeSeries>>();
  const typeSeries = (aggregate: string, type: string): TypeSeries => {
    let byType = handled.get(aggregate);
    if (byType === undefined) handled.set(aggregate, (byType = new Map()));
    let series = byType.get(type);
    if (series === undefined) byType.set(type, (series = { seconds: commandSeconds.series({ aggregate, type }), byCode: new Map() }));
    return series;
  };

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
  // A counter, so that rate() and increase() work on it: the connection's own count, read per scrape.
  new Counter({
    name: 'tributary_nats_reconnects_total',
    help: 'Reconnects of the NATS connection since start (NATS engine only).',
    registers,
    collect() {
      if (!sources.nats) return;
      this.reset();
      this.inc(sources.nats.reconnects);
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
  projectionGauge('tributary_projection_lag_commits', 'Positions the projection is behind the head: the commits it has still to apply, plus stored rejections between them (0 once caught up).', (s) => s.lag);
  projectionGauge('tributary_projection_lag_seconds', 'Age of the oldest commit the projection has not applied (0 when caught up).', (s) => s.lagSeconds);
  projectionGauge('tributary_projection_skipped_events', 'Poison events skipped so far.', (s) => s.skipped);
  projectionGauge('tributary_projection_halted', '1 while the projection is stopped on an error (a poison event).', (s) => (s.state === 'failed' ? 1 : 0));
  projectionGauge('tributary_projection_running', '1 while the projection follows the log.', (s) => (s.state === 'running' ? 1 : 0));

  // The scrape reads every process gauge at once: one reading of the statuses serves them all. A
  // reading that hangs (the NATS server unreachable for the log's head) answers with the last one.
  let processReading: { at: number; statuses: Promise<readonly ProcessStatus[]> } | undefined;
  let lastProcesses: readonly ProcessStatus[] = [];
  const readProcesses = (read: () => Promise<readonly ProcessStatus[]>): Promise<readonly ProcessStatus[]> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<readonly ProcessStatus[]>((resolve) => {
      timer = setTimeout(() => resolve(lastProcesses), 1000);
      timer.unref();
    });
    const fresh = read().then(
      (statuses) => (lastProcesses = statuses),
      () => lastProcesses,
    );
    return Promise.race([fresh, late]).finally(() => clearTimeout(timer));
  };
  const processStatuses = (): Promise<readonly ProcessStatus[]> => {
    const read = sources.processes;
    if (read === undefined) return Promise.resolve([]);
    const at = Date.now();
    if (processReading === undefined || at - processReading.at > 200) processReading = { at, statuses: readProcesses(read) };
    return processReading.statuses;
  };
  const processGauge = (name: string, help: string, value: (s: ProcessStatus) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['process'],
      registers,
      async collect() {
        const statuses = await processStatuses();
        this.reset();
        for (const s of statuses) this.set({ process: s.name }, value(s));
      },
    });
  processGauge('tributary_process_outbox_commands', 'Commands a process manager has decided but not yet had answered (its outbox).', (s) => s.outbox);
  processGauge('tributary_process_timers_pending', 'Timers a process manager has scheduled that have not fired yet.', (s) => s.timers);
  processGauge('tributary_process_lag_commits', 'Commits a process manager has still to take from the log.', (s) => s.lag);
  processGauge('tributary_process_halted_instances', 'Process instances stopped on an input (see the process status).', (s) => s.halted.length);

  const shards = shardMetrics(registry, counter);

  const observer: Observer = {
    ...shards.observer,
    commandHandled({ aggregate, type, code, seconds }) {
      const series = handled.get(aggregate)?.get(type) ?? typeSeries(aggregate, type);
      let count = series.byCode.get(code);
      if (count === undefined) series.byCode.set(code, (count = commands.series({ aggregate, type, code })));
      count.value++;
      series.seconds.observe(seconds);
      if (code === 'conflict') conflicts(aggregate).value++;
    },
    commandRetried: (aggregate) => void retries(aggregate).value++,
    dedupeHit: (aggregate) => void dedupe(aggregate).value++,
    actorLoaded: (aggregate) => void loads(aggregate).value++,
    actorEvicted: (aggregate) => void evictions(aggregate).value++,
    snapshotLoaded: (aggregate, found) => void snapshotLoads.series({ aggregate, found: found ? 'true' : 'false' }).value++,
    snapshotSaved: (aggregate) => void snapshotSaves(aggregate).value++,
    appended: (seconds, outcome) => appendSeconds(outcome).observe(seconds),
    projectionBatch(projection, commits, seconds) {
      batchSize(projection).observe(commits.length);
      batchSeconds(projection).observe(seconds);
    },
  };

  return {
    registry,
    observer,
    bind(next) {
      sources = { ...sources, ...next };
      if (next.shards) shards.bind(next.shards);
    },
  };
}
