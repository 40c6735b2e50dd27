import { pino, type Logger as PinoLogger } from 'pino';
import { PinoPretty } from 'pino-pretty';

/** The logger type used throughout Tributary: a pino logger. */
export type Logger = PinoLogger;

/** Options for {@link createLogger}. */
export type LoggerOptions = {
  /** pino level; defaults to `LOG_LEVEL`, else `silent` under vitest and `info` elsewhere. */
  level?: string;
  /** Logger name, shown as `name` in every line. Default `tributary`. */
  name?: string;
  /**
   * `json` (one object per line, for collectors) or `pretty` (for people). Default: `LOG_FORMAT`,
   * else pretty when stdout is a terminal and JSON otherwise.
   */
  format?: LogFormat;
  /** Fields merged into every line, computed per line from the line's own fields (its trace id). */
  mixin?: (fields: object) => Record<string, unknown>;
};

/** How log lines are written. */
export type LogFormat = 'json' | 'pretty';

function formatOf(options: LoggerOptions): LogFormat {
  const chosen = options.format ?? process.env.LOG_FORMAT;
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  return process.stdout.isTTY ? 'pretty' : 'json';
}

/**
 * Creates the root logger. Silent by default in tests, so that test output stays readable; set
 * `LOG_LEVEL=debug` to see it. JSON lines unless stdout is a terminal or `format: 'pretty'`.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'debug' });
 * log.info({ port }, 'listening');
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info');
  const settings = { name: options.name ?? 'tributary', level, ...(options.mixin && { mixin: options.mixin }) };
  // Synchronous, on this thread: a worker-thread transport could lose the last lines of a crash.
  return formatOf(options) === 'pretty' ? pino(settings, PinoPretty({ sync: true, colorize: process.stdout.isTTY === true })) : pino(settings);
}

/** Correlation fields that child loggers carry, so one grep follows one command. */
export type LogContext = {
  aggregate?: string;
  id?: string;
  commandId?: string;
  correlationId?: string;
  projection?: string;
  process?: string;
};

/**
 * A child logger that stamps every line with the aggregate, id, commandId and correlationId given.
 *
 * @example
 * ```ts
 * const log = childLogger(root, { aggregate: 'Account', id: 'a-1', commandId });
 * log.debug('appended');
 * ```
 */
export function childLogger(parent: Logger, context: LogContext): Logger {
  return parent.child(context);
}
