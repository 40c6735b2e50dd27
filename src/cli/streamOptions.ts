import { InvalidArgumentError, Option, type Command } from 'commander';
import type { NatsConfig } from '../defineConfig.js';
import type { NatsEventLogOptions } from '../eventLog/nats/createNatsEventLog.js';

/**
 * The JetStream stream flags of `serve`, as commander parses them (each falls back to its
 * `TRIBUTARY_*` environment variable).
 *
 * @example
 * ```ts
 * const flags: StreamFlags = { replicas: 3, storage: 'file', maxAge: 0, duplicateWindow: 120_000 };
 * ```
 */
export type StreamFlags = {
  replicas?: number;
  storage?: 'file' | 'memory';
  maxAge?: number;
  duplicateWindow?: number;
  shutdownTimeout?: number;
};

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration: milliseconds, or a number with a unit `ms`, `s`, `m`, `h` or `d` (`90s`, `7d`).
 *
 * @example
 * ```ts
 * parseDuration('2m'); // 120000
 * parseDuration('1500'); // 1500
 * ```
 */
export function parseDuration(value: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 'ms']! : NaN;
  if (!Number.isSafeInteger(ms)) {
    throw new InvalidArgumentError(`expected a duration such as 1500, 90s, 2m, 12h or 7d, got ${JSON.stringify(value)}`);
  }
  return ms;
}

function parseReplicas(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 5) throw new InvalidArgumentError(`replicas must be 1 to 5, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Adds the stream settings and the shutdown deadline to `serve`. They apply when the stream is
 * created; an existing stream with other settings is refused with a message naming the setting.
 *
 * @example
 * ```ts
 * addStreamOptions(program.command('serve')); // tributary serve --replicas 3 --max-age 30d
 * ```
 */
export function addStreamOptions(command: Command): Command {
  return command
    .addOption(new Option('--replicas <n>', 'stream replicas (3 on a 3-node cluster)').env('TRIBUTARY_REPLICAS').argParser(parseReplicas))
    .addOption(new Option('--storage <kind>', 'stream storage').env('TRIBUTARY_STORAGE').choices(['file', 'memory']))
    .addOption(new Option('--max-age <duration>', 'drop commits older than this (0: keep forever)').env('TRIBUTARY_MAX_AGE').argParser(parseDuration))
    .addOption(
      new Option('--duplicate-window <duration>', 'how long a commandId is remembered by JetStream (default 2m)')
        .env('TRIBUTARY_DUPLICATE_WINDOW')
        .argParser(parseDuration),
    )
    .addOption(
      new Option('--shutdown-timeout <duration>', 'longest a graceful shutdown waits before closing anyway (default 10s)')
        .env('TRIBUTARY_SHUTDOWN_TIMEOUT')
        .argParser(parseDuration),
    );
}

const duration = (v: number | string | undefined): number | undefined => (typeof v === 'string' ? parseDuration(v) : v);

/**
 * The stream options of `createApp` / `createNatsEventLog`: each from the flag (which commander
 * already took from its environment variable when the flag is absent), else the config's `nats`
 * section; unset ones keep the engine's defaults.
 *
 * @example
 * ```ts
 * createApp({ engine: 'nats', ...toStreamOptions(flags, config.nats), aggregates });
 * ```
 */
export function toStreamOptions(flags: StreamFlags, config: NatsConfig = {}): Pick<NatsEventLogOptions, 'replicas' | 'storage' | 'maxAge' | 'duplicateWindow'> {
  const out: Pick<NatsEventLogOptions, 'replicas' | 'storage' | 'maxAge' | 'duplicateWindow'> = {};
  const replicas = flags.replicas ?? config.replicas;
  const storage = flags.storage ?? config.storage;
  const maxAge = flags.maxAge ?? duration(config.maxAge);
  const duplicateWindow = flags.duplicateWindow ?? duration(config.duplicateWindow);
  if (replicas !== undefined) out.replicas = replicas;
  if (storage !== undefined) out.storage = storage;
  if (maxAge !== undefined) out.maxAge = maxAge;
  if (duplicateWindow !== undefined) out.duplicateWindow = duplicateWindow;
  return out;
}
