import { InvalidArgumentError, Option, type Command } from 'commander';
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

/**
 * The stream options of `createApp` / `createNatsEventLog` for the flags given (unset ones keep
 * the engine's defaults).
 *
 * @example
 * ```ts
 * createApp({ engine: 'nats', ...toStreamOptions(flags), aggregates });
 * ```
 */
export function toStreamOptions(flags: StreamFlags): Pick<NatsEventLogOptions, 'replicas' | 'storage' | 'maxAge' | 'duplicateWindow'> {
  const out: Pick<NatsEventLogOptions, 'replicas' | 'storage' | 'maxAge' | 'duplicateWindow'> = {};
  if (flags.replicas !== undefined) out.replicas = flags.replicas;
  if (flags.storage !== undefined) out.storage = flags.storage;
  if (flags.maxAge !== undefined) out.maxAge = flags.maxAge;
  if (flags.duplicateWindow !== undefined) out.duplicateWindow = flags.duplicateWindow;
  return out;
}
