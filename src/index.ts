/**
 * Tributary's public surface. Examples in actors/ and projections/ import only from here,
 * exactly as a user's code would.
 */
export * from './errors.js';
export { encode, decode } from './codec/msgpack.js';
export { createLogger, childLogger, type Logger, type LoggerOptions, type LogContext } from './logging/logger.js';
export { assertAggregateId, assertAggregateName, MAX_ID_LENGTH } from './eventLog/subjectToken.js';
export type * from './eventLog/eventLog.js';
export type { Command, CommandResult } from './commands/command.js';
export { createLmdbEventLog, type LmdbEventLogOptions } from './eventLog/lmdb/createLmdbEventLog.js';
