import path from 'node:path';
import { createAggregateRegistry, type AggregateRegistry } from './aggregate/aggregateRegistry.js';
import type { AggregateState } from './aggregate/aggregateActor.js';
import type { AnyAggregateDefinition, ContextOf } from './aggregate/defineAggregate.js';
import type { Command, CommandResult } from './commands/command.js';
import { createCommandClient, type CommandClient } from './commands/commandClient.js';
import { createCommandService, type CommandService } from './commands/commandService.js';
import { createShardOwnership } from './commands/shardOwnership.js';
import { createDispatch } from './commands/dispatch.js';
import { ClosedError, ConfigError, NotFoundError, ValidationError } from './errors.js';
import type { EventLog } from './eventLog/eventLog.js';
import { createLmdbEventLog, type LmdbDurability } from './eventLog/lmdb/createLmdbEventLog.js';
import { createNatsEventLog, type NatsEventLog, type NatsEventLogOptions } from './eventLog/nats/createNatsEventLog.js';
import { assertAggregateId } from './eventLog/subjectToken.js';
import { openEvolution, type Evolution } from './evolution/openEvolution.js';
import { createLogger, type Logger } from './logging/logger.js';
import { createAppObservability, type ObservabilityOptions } from './observability/appObservability.js';
import type { HealthReport, ReadinessBounds } from './observability/health.js';
import type { AppMetrics } from './observability/metrics.js';
import { observeDispatch } from './observability/observeDispatch.js';
import { observeLog } from './observability/observeLog.js';
import type { Observer } from './observability/observer.js';
import type { ShardSource } from './observability/shardMetrics.js';
import { activeTraceFields } from './observability/tracing.js';
import { createProjections, type Projections, type ProjectionsOptions } from './projection/createProjections.js';
import type { ProjectionDefinition } from './projection/defineProjection.js';
import type { Projection } from './projection/projection.js';
import type { ProcessDefinition } from './process/defineProcess.js';
import { openAppProcesses, type ProcessOptions, type Processes } from './process/appProcesses.js';
import type { Process } from './process/processTypes.js';
import { createViewClient, type ViewClient } from './views/viewClient.js';
import { createViewPublisher } from './views/viewPublisher.js';
import { createViewService, type ViewService } from './views/viewService.js';
import { lockViews, type ViewsLock } from './views/viewsLock.js';

/**
 * Snapshot interval (events) on the NATS engine for aggregates that set none: a cold load reads a
 * snapshot and at most this many events, a few direct gets.
 *
 * @example
 * ```ts
 * await createApp({ engine: 'nats', aggregates: [Account], snapshotEvery: DEFAULT_NATS_SNAPSHOT_EVERY * 2 });
 * ```
 */
export const DEFAULT_NATS_SNAPSHOT_EVERY = 25;

/**
 * Options every engine shares.
 *
 * @example
 * ```ts
 * const common: CommonAppOptions = { aggregates: [Order, Account, Customer], maxActors: 50_000 };
 * ```
 */
export type CommonAppOptions = ObservabilityOptions & {
  aggregates: readonly AnyAggregateDefinition[];
  /** Root logger; default `createLogger()` (silent under vitest unless LOG_LEVEL is set). */
  logger?: Logger;
  /** Live aggregate actors kept in memory (LRU). Default 10,000. */
  maxActors?: number;
  /** Attempts of one command under write conflicts before `conflict`. Default 3. */
  maxAttempts?: number;
  /** Recent commits remembered per live aggregate to answer a retried commandId. Default 128. */
  dedupeWindow?: number;
  /**
   * Snapshot interval (events) of the aggregates whose definition sets no `snapshotEvery`.
   * Default {@link DEFAULT_NATS_SNAPSHOT_EVERY} on NATS, where a cold load is network reads (a
   * node taking over shards loads many at once); none on the embedded engine, whose reads are
   * local. `false`: no snapshots for them.
   */
  snapshotEvery?: number | false;
  /**
   * Read models to run in this app, views in `<dataDir>/views` (one process per views directory:
   * a second one is refused with `ConfigError`). They start with the app, each from its checkpoint.
   */
  projections?: readonly ProjectionDefinition[];
  /** Batching and read-your-writes defaults of the projections (see `createProjections`). */
  projectionOptions?: AppProjectionOptions;
  /** Process managers to run in this app, their state in `<dataDir>/processes`. They start with the app. */
  processes?: readonly ProcessDefinition[];
  /** Timers, clock skew and dispatch retries of the processes. */
  processOptions?: ProcessOptions;
};

/**
 * How an app runs its projections: the options of `createProjections` that are not wiring.
 *
 * @example
 * ```ts
 * const projectionOptions: AppProjectionOptions = { maxBatch: 500, maxDelay: 5, waitTimeout: 2000 };
 * ```
 */
export type AppProjectionOptions = Pick<ProjectionsOptions, 'maxBatch' | 'maxDelay' | 'waitTimeout' | 'shareReads'>;

/**
 * The embedded engine: an LMDB event log in `<dataDir>/log`, no server.
 *
 * @example
 * ```ts
 * const options: EmbeddedAppOptions = { engine: 'embedded', dataDir: './data', aggregates: [Account] };
 * ```
 */
export type EmbeddedAppOptions = CommonAppOptions & {
  engine: 'embedded';
  /** Directory holding `log/` (the event log) and `views/` (the projections). Created if missing. */
  dataDir: string;
  /** When a command is acknowledged: after the LMDB commit (default) or also after its fsync; see `LmdbDurability`. */
  durability?: LmdbDurability;
};

/**
 * The NATS engine: a JetStream event log and, by default, a command service answering
 * `<prefix>.cmd.<Aggregate>.<id>` for the app's aggregates in a queue group. Connection options
 * (servers, credentials, TLS) come from code or the `NATS_*` environment variables; the JetStream
 * stream options are those of `createNatsEventLog`.
 *
 * @example
 * ```ts
 * const options: NatsAppOptions = { engine: 'nats', servers: 'nats://127.0.0.1:4222', aggregates: [Account], prefix: 'shop' };
 * ```
 */
export type NatsAppOptions = CommonAppOptions &
  Omit<NatsEventLogOptions, 'logger'> & {
    engine: 'nats';
    /** Serve the aggregates' commands over NATS. Default true; false makes a node that only sends. */
    serveCommands?: boolean;
    /** Queue group of the command service, shared by every node serving the same commands. Default `tributary-commands`. */
    queue?: string;
    /**
     * One owner per aggregate instance among the write nodes (shards by heartbeat leases, see
     * `createShardOwnership`); commands for another node's shards are forwarded to it. Default
     * true; `false` lets the queue group pick any node (optimistic concurrency still holds).
     */
    ownership?: boolean | { heartbeatMs?: number; leaseMs?: number; nodeId?: string };
    /** Default milliseconds `app.remote.send` waits for a reply. Default 5000. */
    commandTimeout?: number;
    /** Largest command body the service decodes, in bytes. Default 512 KiB. */
    maxCommandBytes?: number;
    /** Directory of the projections' views (`<dataDir>/views`); required with `projections`. */
    dataDir?: string;
    /**
     * With projections: publish every committed change on `<prefix>.view.<projection>.<key>` and
     * answer the read requests of `<prefix>.views.>` (queries, status, rebuild), so that other
     * processes can `watch` and query them. Default true.
     */
    serveViews?: boolean;
    /** Queue group of the view queries. Default `tributary-views`. */
    viewsQueue?: string;
  };

/**
 * Options of {@link createApp}, told apart by `engine`.
 *
 * @example
 * ```ts
 * const options: AppOptions = { engine: 'embedded', dataDir: './data', aggregates: [Order, Account, Customer] };
 * ```
 */
export type AppOptions = EmbeddedAppOptions | NatsAppOptions;

/**
 * A running Tributary application: the write side over an event log.
 *
 * @example
 * ```ts
 * const r = await app.send({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 10 } });
 * const account = await app.state(Account, 'a-1'); // { value: 'open', context: { ... }, version: 2 }
 * await app.close();
 * ```
 */
export type App = {
  /** The event log the app writes to. */
  readonly log: EventLog;
  /** Validates and runs a command. Never rejects: see {@link CommandResult}. */
  send(command: Command): Promise<CommandResult>;
  /**
   * Reads an aggregate's state from the write model (strongly consistent: it reflects every
   * command acknowledged before). Undefined when the aggregate has no events. Pass the definition
   * for a typed context. Rejects with `NotFoundError` for an unknown aggregate, `ValidationError`
   * for an invalid id.
   */
  state<D extends AnyAggregateDefinition>(aggregate: D, id: string): Promise<AggregateState<ContextOf<D>> | undefined>;
  state(aggregate: string, id: string): Promise<AggregateState | undefined>;
  /** The app's projections (none unless `projections` were given). */
  readonly projections: Projections;
  /**
   * One projection, typed by its definition, or by name; `NotFoundError` when the app does not run it.
   * Read your own write with `app.projection(P).get(key, { minPosition: result.position })`.
   */
  projection<V>(projection: ProjectionDefinition<V>): Projection<V>;
  projection(projection: string | ProjectionDefinition): Projection;
  /** The app's process managers (none unless `processes` were given). */
  readonly processes: Processes;
  /** One process manager, by definition or name; `NotFoundError` when the app does not run it. */
  process(process: string | ProcessDefinition): Process;
  /**
   * Forgets a data subject (crypto-shredding): deletes its key, so that its personal fields read
   * as `null` everywhere from now on, drops the live aggregates that hold them, and rebuilds the
   * projections that read personal data (blue/green: readers keep the old view until the new one
   * has caught up). Idempotent. Resolves once the rebuilt views are swapped in. Several subjects
   * in one call share one rebuild.
   */
  forget(subject: string | readonly string[]): Promise<void>;
  /** Prometheus metrics of this app (undefined with `metrics: false`); serve `metrics.registry`. */
  readonly metrics: AppMetrics | undefined;
  /**
   * Readiness and what it looked at: not ready while the log is not open, NATS is disconnected, a
   * projection has halted, or a projection lags past one of `bounds`.
   */
  health(bounds?: ReadinessBounds): Promise<HealthReport>;
  /** Finishes in-flight commands, then closes the projections and the log. Idempotent. */
  close(): Promise<void>;
};

/**
 * An app on the NATS engine: {@link App} plus the way to send commands and read views over NATS.
 * Its `close()` first stops the command service (drain; commands already delivered finish and are
 * answered), then waits for its own remote sends, closes the registry, stops the view service,
 * closes the projections (their batch in flight commits and is published), then the log and the
 * connection.
 *
 * @example
 * ```ts
 * const app = await createApp({ engine: 'nats', aggregates: [Account] });
 * const r = await app.remote.send({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 10 }, commandId: 'dep-1' });
 * ```
 */
export type NatsApp = App & {
  readonly log: NatsEventLog;
  /** Sends commands over NATS to whichever node serves them (this one included). */
  readonly remote: CommandClient;
  /** This node's command service; undefined with `serveCommands: false`. */
  readonly commands: CommandService | undefined;
  /** Reads the views of the read nodes over NATS (this one included): `watch`, `get`, `statuses`, `rebuild`. */
  readonly views: ViewClient;
  /** This node's view service; undefined without projections or with `serveViews: false`. */
  readonly viewService: ViewService | undefined;
};

function openLog(options: AppOptions, logger: Logger): Promise<EventLog> {
  switch (options.engine) {
    case 'embedded':
      if (typeof options.dataDir !== 'string' || options.dataDir.length === 0) {
        throw new ConfigError('the embedded engine needs `dataDir`, the directory for its data');
      }
      return createLmdbEventLog({ path: path.join(options.dataDir, 'log'), logger, durability: options.durability });
    case 'nats':
      return createNatsEventLog({ ...options, logger });
    default:
      throw new ConfigError(`unknown engine ${JSON.stringify((options as { engine?: unknown }).engine)}; use 'embedded' or 'nats'`);
  }
}

type NatsCommands = { readonly remote: CommandClient; readonly commands: CommandService | undefined };

async function startNatsCommands(
  options: NatsAppOptions,
  log: NatsEventLog,
  send: App['send'],
  logger: Logger,
  observer: Observer,
): Promise<NatsCommands & { readonly shards: ShardSource | undefined }> {
  const remote = createCommandClient({ nc: log.connection, prefix: log.prefix, timeout: options.commandTimeout });
  if (options.serveCommands === false) return { remote, commands: undefined, shards: undefined };
  const aggregates = options.aggregates.map((d) => d.name);
  const shards = options.ownership ?? true;
  const ownership =
    shards === false
      ? undefined
      : createShardOwnership({ nc: log.connection, prefix: log.prefix, aggregates, logger, observer, ...(shards === true ? {} : shards) });
  try {
    const commands = await createCommandService({
      nc: log.connection,
      prefix: log.prefix,
      queue: options.queue,
      dispatch: send,
      aggregates,
      maxPayload: options.maxCommandBytes,
      ownership,
      logger,
      observer,
    });
    return { remote, commands, shards: ownership && { ownership, aggregates } };
  } catch (err) {
    ownership?.stop();
    await remote.close();
    throw err;
  }
}

type AppViews = { readonly projections: Projections; readonly service: ViewService | undefined; close(): Promise<void> };

const noProjections: Projections = {
  names: [],
  get: ((projection: string | ProjectionDefinition) => {
    const name = typeof projection === 'string' ? projection : projection.name;
    throw new NotFoundError(`the app runs no projection named ${JSON.stringify(name)}: pass it in createApp({ projections })`, { projection: name });
  }) as Projections['get'],
  start() {},
  upgraded: () => Promise.resolve(),
  statuses: () => Promise.resolve([]),
  close: () => Promise.resolve(),
};

// The projections of the app in <dataDir>/views, started; on NATS also published and served.
async function openViews(options: AppOptions, log: EventLog, logger: Logger, observer: Observer): Promise<AppViews> {
  const definitions = options.projections ?? [];
  if (definitions.length === 0 || options.dataDir === undefined) return { projections: noProjections, service: undefined, close: () => Promise.resolve() };
  const dir = path.join(options.dataDir, 'views');
  const lock = lockViews(dir);
  const nats = options.engine === 'nats' && options.serveViews !== false ? (log as NatsEventLog) : undefined;
  let projections: Projections | undefined;
  try {
    projections = await createProjections({
      ...options.projectionOptions,
      log,
      path: dir,
      projections: definitions,
      logger,
      observer,
      ...(nats && { publish: createViewPublisher({ nc: nats.connection, prefix: nats.prefix, logger }) }),
    });
    projections.start();
    const opened = projections;
    const service = nats && (await createViewService({ nc: nats.connection, prefix: nats.prefix, projections, queue: options.engine === 'nats' ? options.viewsQueue : undefined, logger }));
    return {
      projections,
      service,
      async close() {
        await service?.stop();
        await opened.close();
        lock.release();
      },
    };
  } catch (err) {
    await projections?.close();
    lock.release();
    throw err;
  }
}

/**
 * Starts an application: opens the engine's event log and wires aggregates, the registry of live
 * actors, in-process dispatch and the projections. On NATS it also serves the commands and, with
 * projections, publishes their changes and answers view requests (see {@link NatsAppOptions}).
 *
 * @example
 * ```ts
 * import { createApp } from 'tributary';
 * import { Account } from './actors/index.js';
 *
 * const app = await createApp({ engine: 'embedded', dataDir: './data', aggregates: [Account] });
 * const opened = await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
 * if (opened.ok) console.log(opened.version, opened.position); // 1 1
 * await app.close();
 * ```
 */
export function createApp(options: NatsAppOptions): Promise<NatsApp>;
export function createApp(options: AppOptions): Promise<App>;
export async function createApp(options: AppOptions): Promise<App | NatsApp> {
  const logger = options.logger ?? createLogger({ mixin: activeTraceFields });
  if (!Array.isArray(options.aggregates)) throw new ConfigError('`aggregates` must be an array of defineAggregate(...) results');
  // Checked before connecting: a wrong option must not wait for a server.
  if (options.projections !== undefined && !Array.isArray(options.projections)) {
    throw new ConfigError('`projections` must be an array of defineProjection(...) results');
  }
  if (options.projections?.length && (typeof options.dataDir !== 'string' || options.dataDir === '')) {
    throw new ConfigError('projections need `dataDir`: their views live in <dataDir>/views');
  }
  const byName = new Map(options.aggregates.map((d) => [d.name, d] as const));
  const observability = createAppObservability(options);
  const { observer } = observability;
  const rawLog = await openLog(options, logger);
  let evolution: Evolution;
  try {
    evolution = await openEvolution(options, rawLog);
  } catch (err) {
    await rawLog.close();
    throw err;
  }
  // On NATS the app's log keeps the connection, stream and prefix that the services need.
  const log: EventLog =
    evolution.log === rawLog || options.engine !== 'nats' ? evolution.log : { ...(rawLog as NatsEventLog), ...evolution.log };
  let registry: AggregateRegistry;
  let send: App['send'];
  try {
    registry = observability.tracing.registry(
      createAggregateRegistry({
        log: observability.tracing.log(observeLog(log, observer)),
        logger,
        observer,
        maxActors: options.maxActors,
        maxAttempts: options.maxAttempts,
        dedupeWindow: options.dedupeWindow,
        snapshotEvery:
          options.snapshotEvery === false ? undefined : (options.snapshotEvery ?? (options.engine === 'nats' ? DEFAULT_NATS_SNAPSHOT_EVERY : undefined)),
      }),
    );
    send = observeDispatch(createDispatch({ aggregates: options.aggregates, registry, logger }), options.aggregates, observer);
  } catch (err) {
    await log.close();
    throw err;
  }
  let views: AppViews;
  try {
    views = await openViews(options, log, logger, observer);
  } catch (err) {
    await registry.close();
    await log.close();
    throw err;
  }
  let nats: (NatsCommands & Pick<NatsApp, 'views' | 'viewService'>) | undefined;
  let shards: ShardSource | undefined;
  if (options.engine === 'nats') {
    const natsLog = log as NatsEventLog;
    try {
      const { remote, commands, shards: owned } = await startNatsCommands(options, natsLog, send, logger, observer);
      shards = owned;
      const client = createViewClient({ nc: natsLog.connection, prefix: natsLog.prefix });
      nats = { remote, commands, views: client, viewService: views.service };
    } catch (err) {
      await registry.close();
      await views.close();
      await log.close();
      throw err;
    }
  }
  let processes: Processes;
  try {
    // Through this app's own dispatch, as its other writes: it hosts the aggregates the processes command.
    processes = await openAppProcesses(options, log, send, logger);
  } catch (err) {
    await nats?.commands?.stop();
    await nats?.remote.close();
    await registry.close();
    await views.close();
    await log.close();
    throw err;
  }
  let closed: Promise<void> | undefined;
  const watch = observability.attach({
    log,
    liveActors: () => registry.size,
    statuses: () => views.projections.statuses(),
    processes: () => processes.statuses(),
    ...(shards && { shards }),
    closing: () => closed !== undefined,
  });

  const state = async (aggregate: AnyAggregateDefinition | string, id: string): Promise<AggregateState | undefined> => {
    const name = typeof aggregate === 'string' ? aggregate : aggregate.name;
    const definition = byName.get(name);
    if (definition === undefined) {
      throw new NotFoundError(`unknown aggregate ${JSON.stringify(name)}; known aggregates: ${[...byName.keys()].join(', ')}`, {
        aggregate: name,
      });
    }
    assertAggregateId(id);
    return registry.state(definition, id);
  };

  const forget = async (subjects: string | readonly string[]): Promise<void> => {
    const all = typeof subjects === 'string' ? [subjects] : subjects;
    if (!Array.isArray(all) || !all.every((s) => typeof s === 'string' && s !== '')) {
      throw new ValidationError('forget: data subjects are non-empty strings', { subjects });
    }
    for (const subject of all) await evolution.forget(subject);
    const { personalAggregates, personalTypes } = evolution.catalog;
    await Promise.all([...personalAggregates].map((aggregate) => registry.drop(aggregate)));
    const affected = (options.projections ?? []).filter((p) => p.from.some((f) => personalAggregates.has(f) || personalTypes.has(f)));
    await Promise.all(affected.map((p) => views.projections.get(p).rebuild()));
  };

  // Local callers are refused from the moment close() is called; the command service keeps the
  // inner `send` so that commands it has already taken in still finish while it drains.
  const refused: CommandResult = { ok: false, error: new ClosedError('the app is closing; no new commands are accepted').toShape() };
  const sendLocal: App['send'] = (command) => (closed === undefined ? send(command) : Promise.resolve(refused));

  return {
    ...nats,
    log,
    send: sendLocal,
    forget,
    state: state as App['state'],
    projections: views.projections,
    projection: ((projection: string | ProjectionDefinition) => views.projections.get(projection)) as App['projection'],
    processes,
    process: (process) => processes.get(process),
    metrics: observability.metrics,
    health: (bounds) => watch.health(bounds),
    close() {
      // The command service drains first: commands already delivered to this node still finish.
      // The projections then commit their batch in flight (and publish it) before the log and its
      // connection close.
      closed ??= (async () => {
        // Processes stop first: their unanswered commands stay in the outbox for the next start.
        await processes.close();
        await nats?.commands?.stop();
        await nats?.remote.close();
        await registry.close();
        await views.close();
        await log.close();
        watch.stop();
      })();
      return closed;
    },
  };
}
