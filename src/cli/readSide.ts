import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { pino } from 'pino';
import { ConfigError } from '../errors.js';
import type { EventLog } from '../eventLog/eventLog.js';
import { createLmdbEventLog } from '../eventLog/lmdb/createLmdbEventLog.js';
import type { NatsConnection } from '@nats-io/nats-core';
import type { EventSchemaSource } from '../evolution/eventSchemas.js';
import { openEvolution } from '../evolution/openEvolution.js';
import { connectNats } from '../eventLog/nats/connectNats.js';
import type { Logger } from '../logging/logger.js';
import { createProjections, type Projections } from '../projection/createProjections.js';
import type { ProjectionDefinition } from '../projection/defineProjection.js';
import { createViewClient, type ViewClient } from '../views/viewClient.js';
import { lockViews, viewsHolder, type ViewsLock } from '../views/viewsLock.js';
import { addConfigOption, resolveSettings, type SettingFlags, type Settings } from './config/settings.js';
import { addNatsOptions, parseCount } from './natsOptions.js';

/**
 * The flags every read verb (`query`, `watch`, `rebuild`, `status`, `events`, `tail`) takes, as
 * commander parses them.
 *
 * @example
 * ```ts
 * const flags: ReadFlags = { dataDir: './data', timeout: 5000 };
 * ```
 */
export type ReadFlags = SettingFlags & { timeout: number };

/**
 * Adds the read verbs' flags: `--config`, where the data is (`--data-dir` for the embedded engine;
 * the NATS connection flags otherwise), `--engine`, `--timeout` and `--log-level`.
 *
 * @example
 * ```ts
 * addReadOptions(program.command('status')).action(async (flags: ReadFlags) => { ... });
 * ```
 */
export function addReadOptions(command: Command): Command {
  return addConfigOption(addNatsOptions(command))
    .option('--data-dir <dir>', 'embedded engine: the data directory (log in <dir>/log, views in <dir>/views) (env TRIBUTARY_DATA_DIR; config dataDir)')
    .addOption(
      new Option(
        '--engine <engine>',
        'where the data is (env TRIBUTARY_ENGINE; config engine; default: nats when servers are given by --servers, NATS_URL or the config, else embedded)',
      ).choices(['embedded', 'nats']),
    )
    .option('--timeout <ms>', 'how long to wait for a read node or a position', parseCount, 5000)
    .option('--log-level <level>', 'pino log level, on stderr (env LOG_LEVEL; config logLevel; default warn)');
}

/**
 * The settings of a read verb (see `resolveSettings`; the config is optional here: the verbs that
 * need a projection's definition ask for it with `configProjection`).
 *
 * @example
 * ```ts
 * const settings = await readSettings(flags);
 * if (settings.engine === 'nats') ...
 * ```
 */
export function readSettings(flags: ReadFlags): Promise<Settings> {
  return resolveSettings(flags, { needsConfig: false });
}

/**
 * The embedded engine's data directory; `ConfigError` when none is given.
 *
 * @example
 * ```ts
 * const local = await openLocalViews({ dataDir: embeddedDataDir(settings), ... });
 * ```
 */
export function embeddedDataDir(settings: Settings): string {
  if (settings.dataDir === undefined) {
    throw new ConfigError(
      "give --data-dir (the embedded engine's data directory; or dataDir in the config), or --servers / NATS_URL to ask over NATS",
      { field: 'dataDir' },
    );
  }
  return settings.dataDir;
}

/**
 * A logger for the CLI's verbs that print data: on stderr, so that stdout stays parseable.
 * Default level `warn`.
 *
 * @example
 * ```ts
 * const logger = stderrLogger(flags.logLevel);
 * ```
 */
export function stderrLogger(level: string | undefined): Logger {
  return pino({ name: 'tributary', level: level ?? process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
}

/**
 * Views of the embedded engine opened by the CLI: run (this process projects them, holding the
 * views lock) or only read (another process projects them, or nobody does).
 *
 * @example
 * ```ts
 * const local = await openLocalViews({ dataDir, logger, run: true, projections: [AccountBalance] });
 * await local.close();
 * ```
 */
export type LocalViews = {
  readonly log: EventLog;
  readonly projections: Projections;
  readonly viewsDir: string;
  /** Whether this process runs the projections (and holds the lock). */
  readonly running: boolean;
  close(): Promise<void>;
};

/**
 * Opens `<dataDir>/log` and `<dataDir>/views`. With `run`, claims the views (`ConfigError` when a
 * live process holds them) and starts the projections, each from its checkpoint.
 *
 * @example
 * ```ts
 * const local = await openLocalViews({ dataDir: './data', logger, run: false, projections: exampleProjections });
 * console.log(await local.projections.statuses());
 * ```
 */
export async function openLocalViews(options: {
  dataDir: string;
  logger: Logger;
  run: boolean;
  projections: readonly ProjectionDefinition[];
  /** Whose event versions and personal fields the views read through: the config's aggregates. */
  aggregates: readonly EventSchemaSource[];
}): Promise<LocalViews> {
  const logDir = path.join(options.dataDir, 'log');
  if (!fs.existsSync(path.join(logDir, 'data.mdb'))) {
    throw new ConfigError(`there is no event log in ${logDir}: --data-dir is the directory an embedded app keeps its data in`, { dataDir: options.dataDir });
  }
  const viewsDir = path.join(options.dataDir, 'views');
  const lock: ViewsLock | undefined = options.run ? lockViews(viewsDir) : undefined;
  let log: EventLog | undefined;
  try {
    const raw = await createLmdbEventLog({ path: logDir, logger: options.logger });
    log = raw;
    // The views read current events: upcast, and with personal fields opened (or erased).
    log = (await openEvolution({ engine: 'embedded', dataDir: options.dataDir, aggregates: options.aggregates }, raw)).log;
    const projections = await createProjections({ log, path: viewsDir, projections: options.projections, logger: options.logger });
    if (options.run) projections.start();
    const opened = log;
    return {
      log,
      projections,
      viewsDir,
      running: options.run,
      async close() {
        await projections.close();
        await opened.close();
        lock?.release();
      },
    };
  } catch (err) {
    await log?.close();
    lock?.release();
    throw err;
  }
}

/**
 * Like {@link openLocalViews} with `run`, but when another live process projects these views,
 * opens them read-only instead of failing.
 *
 * @example
 * ```ts
 * const local = await openLocalViewsIfFree({ dataDir, logger, projections: [AccountBalance] });
 * ```
 */
export async function openLocalViewsIfFree(options: { dataDir: string; logger: Logger; projections: readonly ProjectionDefinition[]; aggregates: readonly EventSchemaSource[] }): Promise<LocalViews> {
  if (viewsHolder(path.join(options.dataDir, 'views')) === undefined) {
    try {
      return await openLocalViews({ ...options, run: true });
    } catch (err) {
      // Another process claimed them in between.
      if (!(err instanceof ConfigError && err.details?.pid !== undefined)) throw err;
    }
  }
  return openLocalViews({ ...options, run: false });
}

/**
 * A connection to NATS and a view client on it, for the read verbs on the NATS engine.
 *
 * @example
 * ```ts
 * const remote = await connectViews(settings, flags.timeout);
 * console.log(await remote.views.statuses());
 * await remote.close();
 * ```
 */
export async function connectViews(settings: Settings, timeout: number, reconnect = false): Promise<{ views: ViewClient; nc: NatsConnection; close(): Promise<void> }> {
  const nc = await connectNats({ ...settings.connect, ...(reconnect ? {} : { maxReconnectAttempts: 0 }) });
  return {
    nc,
    views: createViewClient({ nc, prefix: settings.prefix, timeout }),
    close: () => nc.drain().catch(() => undefined),
  };
}

/**
 * Runs a read verb's action: its errors are printed on stderr as `tributary <verb>: <message>`
 * and set the exit code (1 by default).
 *
 * @example
 * ```ts
 * .action((flags) => runVerb('status', () => status(flags)));
 * ```
 */
export async function runVerb(verb: string, action: () => Promise<number | void>, failureCode = 1): Promise<void> {
  try {
    const code = await action();
    if (code !== undefined) process.exitCode = code;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tributary ${verb}: ${message}\n`);
    process.exitCode = failureCode;
  }
}
