import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_COMMAND_PREFIX, DEFAULT_COMMAND_QUEUE } from '../../commands/commandSubjects.js';
import type { NatsConfig } from '../../defineConfig.js';
import { ConfigError, NotFoundError } from '../../errors.js';
import type { EngineName } from '../../eventLog/eventLog.js';
import type { NatsConnectOptions } from '../../eventLog/nats/connectNats.js';
import type { ProjectionDefinition } from '../../projection/defineProjection.js';
import { toNatsConnectOptions, type NatsFlags } from '../natsOptions.js';
import { CONFIG_HINT, findConfig, loadConfig, type LoadedConfig } from './loadConfig.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The JetStream stream of the event log when nothing names one. */
export const DEFAULT_STREAM = 'TRIBUTARY';

/**
 * The flags that the config can also set, as commander parses them (none has a commander default,
 * so that a flag left out falls through to the environment, then the config, then the default).
 *
 * @example
 * ```ts
 * const flags: SettingFlags = { config: './tributary.config.ts', dataDir: './data' };
 * ```
 */
export type SettingFlags = NatsFlags & {
  config?: string;
  engine?: EngineName;
  dataDir?: string;
  stream?: string;
  queue?: string;
  logLevel?: string;
};

/**
 * What a verb runs with, once flag > env > config > default is applied (the README's config
 * table). `connect` leaves out what the environment gives, so that `connectNats` reads it.
 *
 * @example
 * ```ts
 * const s = await resolveSettings(flags, { needsConfig: true });
 * const app = await createApp({ engine: 'nats', ...s.connect, prefix: s.prefix, aggregates: s.config!.config.aggregates });
 * ```
 */
export type Settings = {
  readonly config: LoadedConfig | undefined;
  readonly engine: EngineName;
  readonly dataDir: string | undefined;
  readonly prefix: string;
  readonly stream: string;
  readonly queue: string;
  readonly logLevel: string | undefined;
  readonly connect: NatsConnectOptions;
};

/**
 * Adds `--config <file>` to a verb.
 *
 * @example
 * ```ts
 * addConfigOption(program.command('serve'));
 * ```
 */
export function addConfigOption(command: Command): Command {
  return command.option('-c, --config <file>', 'the config file (env TRIBUTARY_CONFIG; default ./tributary.config.{ts,mts,mjs,js})');
}

/**
 * Adds `--stream <name>`, the JetStream stream of the event log, to a verb.
 *
 * @example
 * ```ts
 * addStreamOption(program.command('tail'));
 * ```
 */
export function addStreamOption(command: Command): Command {
  return command.option('--stream <name>', `JetStream stream of the event log (env TRIBUTARY_STREAM; config nats.stream; default ${DEFAULT_STREAM})`);
}

const given = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

function engineFromEnv(env: Env): EngineName | undefined {
  const value = given(env.TRIBUTARY_ENGINE);
  if (value !== undefined && value !== 'embedded' && value !== 'nats') {
    throw new ConfigError(`TRIBUTARY_ENGINE is ${JSON.stringify(value)}: use 'embedded' or 'nats'`, { field: 'TRIBUTARY_ENGINE' });
  }
  return value;
}

/**
 * Finds and loads the config (`--config`, else `TRIBUTARY_CONFIG`, else `./tributary.config.*`),
 * then merges each setting: flag > environment > config > default. With `needsConfig`, a missing
 * config is a `ConfigError` that shows how to create one.
 *
 * @example
 * ```ts
 * const s = await resolveSettings(flags, { needsConfig: false });
 * ```
 */
export async function resolveSettings(
  flags: SettingFlags,
  options: { needsConfig: boolean; cwd?: string; env?: Env },
): Promise<Settings> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = findConfig(cwd, flags.config ?? given(env.TRIBUTARY_CONFIG));
  const config = file === undefined ? undefined : await loadConfig(file);
  if (options.needsConfig) requireConfig(config, `no config found in ${cwd}`);
  const nats: NatsConfig = config?.config.nats ?? {};
  const configDataDir = config?.config.dataDir === undefined ? undefined : path.resolve(path.dirname(config.file), config.config.dataDir);
  const dataDirFlag = flags.dataDir ?? given(env.TRIBUTARY_DATA_DIR);
  const serversGiven = flags.servers !== undefined || given(env.NATS_URL) !== undefined || nats.servers !== undefined;
  return {
    config,
    engine: flags.engine ?? engineFromEnv(env) ?? config?.config.engine ?? (serversGiven ? 'nats' : 'embedded'),
    dataDir: dataDirFlag !== undefined ? path.resolve(cwd, dataDirFlag) : configDataDir,
    prefix: flags.prefix ?? given(env.TRIBUTARY_PREFIX) ?? nats.prefix ?? DEFAULT_COMMAND_PREFIX,
    stream: flags.stream ?? given(env.TRIBUTARY_STREAM) ?? nats.stream ?? DEFAULT_STREAM,
    queue: flags.queue ?? given(env.TRIBUTARY_QUEUE) ?? nats.queue ?? DEFAULT_COMMAND_QUEUE,
    logLevel: flags.logLevel ?? given(env.LOG_LEVEL) ?? config?.config.logLevel,
    connect: toNatsConnectOptions(flags, env, nats),
  };
}

/**
 * The projection named `name` in the config; `NotFoundError` listing the known ones otherwise,
 * and a `ConfigError` showing how to create a config when there is none.
 *
 * @example
 * ```ts
 * const definition = configProjection(settings, 'AccountBalance');
 * ```
 */
export function configProjection(settings: Settings, name: string): ProjectionDefinition {
  const { file, config } = requireConfig(settings.config, `reading projection ${name} here needs its definition`);
  const projections = config.projections ?? [];
  const found = projections.find((p) => p.name === name);
  if (!found) {
    const known = projections.length === 0 ? 'it has none' : `its projections are ${projections.map((p) => p.name).join(', ')}`;
    throw new NotFoundError(`no projection named ${JSON.stringify(name)} in ${file}; ${known}`, { projection: name });
  }
  return found;
}

/**
 * The loaded config; when there is none, a `ConfigError` that says `why` one is needed and shows
 * how to create it.
 *
 * @example
 * ```ts
 * const { config } = requireConfig(settings.config, 'serve needs the aggregates to host');
 * ```
 */
export function requireConfig(config: LoadedConfig | undefined, why: string): LoadedConfig {
  if (config === undefined) throw new ConfigError(`${why}: ${CONFIG_HINT}`, { field: '--config' });
  return config;
}
