import { pino, type Logger as PinoLogger } from 'pino';

/** The logger type used throughout Tributary: a pino logger. */
export type Logger = PinoLogger;

/** Options for {@link createLogger}. */
export type LoggerOptions = {
  /** pino level; defaults to `LOG_LEVEL`, else `silent` under vitest and `info` elsewhere. */
  level?: string;
  /** Logger name, shown as `name` in every line. Default `tributary`. */
  name?: string;
};

/**
 * Creates the root logger. Silent by default in tests, so that test output stays readable; set
 * `LOG_LEVEL=debug` to see it.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'debug' });
 * log.info({ port }, 'listening');
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info');
  return pino({ name: options.name ?? 'tributary', level });
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
