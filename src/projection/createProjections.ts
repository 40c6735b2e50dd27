import { ConfigError, NotFoundError } from '../errors.js';
import type { EventLog } from '../eventLog/eventLog.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { createCommitFeed, type CommitFeed } from './commitFeed.js';
import type { Observer } from '../observability/observer.js';
import type { ProjectionDefinition } from './defineProjection.js';
import type { Projection, ProjectionStatus, ViewChange } from './projection.js';
import { createProjectionRunner, type ProjectionRunner } from './projectionRunner.js';
import { startUpgrades, type Upgrades } from './projectionUpgrades.js';
import { openViewEnvironment } from './viewEnvironment.js';

/**
 * Options of {@link createProjections}.
 *
 * @example
 * ```ts
 * const options: ProjectionsOptions = { log, path: './data/views', projections: [OrderSummary, AccountBalance] };
 * ```
 */
export type ProjectionsOptions = {
  /** The event log to read; the projections never close it. */
  readonly log: EventLog;
  /** Directory of the views' LMDB environment (e.g. `<dataDir>/views`); created if missing. */
  readonly path: string;
  readonly projections: readonly ProjectionDefinition[];
  readonly logger?: Logger;
  /**
   * Most commits applied in one transaction. Default 5000: a projection catching up commits
   * (and waits for the disk) once per batch, so large batches matter there; live batches stay
   * small by themselves.
   */
  readonly maxBatch?: number;
  /**
   * Time batching: after a batch smaller than `maxBatch`, wait up to this many ms for more commits
   * before committing. Default 0 (lowest latency; under load batches grow by themselves, since the
   * next one is read only once the previous one committed).
   */
  readonly maxDelay?: number;
  /** Default timeout of `waitFor` and `get(key, { minPosition })`, in ms. Default 5000. */
  readonly waitTimeout?: number;
  /**
   * Called after each committed batch with its changes, in order, for every projection: the hook
   * through which the NATS engine publishes to `<prefix>.view.<projection>.<key>`. Must not throw
   * (errors are logged and ignored) and should not block.
   */
  readonly publish?: (changes: readonly ViewChange[]) => void;
  /** Told of every committed batch (metrics); default nothing. */
  readonly observer?: Observer;
  /** Let projections at about the same position share one read of the log. Default true. */
  readonly shareReads?: boolean;
};

/**
 * The projections of a process.
 *
 * @example
 * ```ts
 * const projections = await createProjections({ log, path: './data/views', projections: [AccountBalance] });
 * projections.start();
 * console.log(await projections.statuses());
 * await projections.close();
 * ```
 */
export type Projections = {
  /** Names of the projections, in the order given. */
  readonly names: readonly string[];
  /** One projection, typed by its definition, or by name; unknown names throw `NotFoundError`. */
  get<V>(projection: ProjectionDefinition<V>): Projection<V>;
  get(projection: string | ProjectionDefinition): Projection;
  /**
   * Starts every stopped projection (idempotent). A projection whose `version` changed since its
   * view was built is rebuilt first (see {@link Projections.upgraded}).
   */
  start(): void;
  /**
   * Resolves once every projection whose version changed has been rebuilt and swapped in (or
   * failed to: it then runs on, and its status says why). Before `start()`, resolves at once.
   */
  upgraded(): Promise<void>;
  statuses(): Promise<ProjectionStatus[]>;
  /** Stops every projection after its batch in flight, saves checkpoints, closes the views' LMDB. Idempotent. */
  close(): Promise<void>;
};

/**
 * Opens the views of `projections` at `path` and prepares their runners (stopped until `start()`).
 * Each projection resumes from its checkpoint. Throws `ConfigError` for two projections with one name.
 *
 * @example
 * ```ts
 * const log = await createLmdbEventLog({ path: './data/log' });
 * const projections = await createProjections({ log, path: './data/views', projections: [OrderSummary, AccountBalance] });
 * projections.start();
 * const r = await log.append('Account', 'a-1', [{ type: 'AccountOpened', data: { owner: 'Ada' } }], { commandId: 'c-1' });
 * console.log(await projections.get(AccountBalance).get('a-1', { minPosition: r.position }));
 * ```
 */
export async function createProjections(options: ProjectionsOptions): Promise<Projections> {
  const names = options.projections.map((p) => p.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw new ConfigError(`two projections are named ${duplicate}`, { projection: duplicate });
  const maxBatch = options.maxBatch ?? 5000;
  const logger = options.logger ?? createLogger();
  const env = openViewEnvironment(options.path, { maxDbs: Math.max(64, 4 * (names.length + options.projections.reduce((n, p) => n + p.indexes.size, 0)) + 8) });
  const shared = options.shareReads ?? true;
  const feeds: CommitFeed[] = [];
  const feedFor = () => {
    if (shared && feeds.length > 0) return feeds[0]!;
    const feed = createCommitFeed(options.log, { maxBatch });
    feeds.push(feed);
    return feed;
  };
  const runners = new Map<string, ProjectionRunner>();
  for (const definition of options.projections) {
    runners.set(
      definition.name,
      createProjectionRunner({
        definition,
        env,
        log: options.log,
        feed: feedFor(),
        logger,
        maxBatch,
        maxDelay: options.maxDelay ?? 0,
        waitTimeout: options.waitTimeout ?? 5000,
        publish: options.publish,
        observer: options.observer,
      }),
    );
  }
  let closing: Promise<void> | undefined;
  let upgrades: Upgrades | undefined;

  const runner = (projection: string | ProjectionDefinition): ProjectionRunner => {
    const name = typeof projection === 'string' ? projection : projection.name;
    const found = runners.get(name);
    if (!found) throw new NotFoundError(`no projection named ${JSON.stringify(name)}`, { projection: name, known: names });
    return found;
  };

  return {
    names,
    get: ((projection: string | ProjectionDefinition) => runner(projection).projection) as Projections['get'],
    start() {
      upgrades ??= startUpgrades({ env, definitions: options.projections, runners, logger, closed: () => closing !== undefined });
      for (const [name, r] of runners) if (!upgrades.pending.has(name)) r.start();
    },
    upgraded: () => upgrades?.done ?? Promise.resolve(),
    statuses: () => Promise.all([...runners.values()].map((r) => r.projection.status())),
    close() {
      closing ??= (async () => {
        await Promise.all([...runners.values()].map((r) => r.close()));
        for (const feed of feeds) feed.close();
        await env.close();
      })();
      return closing;
    },
  };
}
