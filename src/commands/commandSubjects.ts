import { ConfigError } from '../errors.js';

/** Subject prefix used when none is given: commands go to `tributary.cmd.<Aggregate>.<id>`. */
export const DEFAULT_COMMAND_PREFIX = 'tributary';

/** Queue group the command service joins when none is given. */
export const DEFAULT_COMMAND_QUEUE = 'tributary-commands';

// The same rule as the JetStream log's prefix, so one prefix serves both `.evt.` and `.cmd.`.
const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const QUEUE = /^[A-Za-z0-9_.-]+$/;

/**
 * Checks a subject prefix (tokens of letters, digits, `_` and `-`, separated by dots). Throws
 * {@link ConfigError} otherwise.
 *
 * @example
 * ```ts
 * assertSubjectPrefix('acme.shop'); // ok
 * assertSubjectPrefix('acme.*'); // throws ConfigError
 * ```
 */
export function assertSubjectPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new ConfigError(
      `subject prefix ${JSON.stringify(prefix)} is not valid: use tokens of letters, digits, _ and - separated by dots`,
    );
  }
}

/**
 * Checks a queue group name (letters, digits, `_`, `-` and `.`). Throws {@link ConfigError} otherwise.
 *
 * @example
 * ```ts
 * assertQueueName('tributary-commands'); // ok
 * ```
 */
export function assertQueueName(queue: unknown): asserts queue is string {
  if (typeof queue !== 'string' || !QUEUE.test(queue)) {
    throw new ConfigError(`queue group ${JSON.stringify(queue)} is not valid: use letters, digits, _, - and .`);
  }
}

/**
 * The subject a command for one aggregate instance is sent to: `<prefix>.cmd.<Aggregate>.<id>`.
 * The caller has checked the aggregate name and id (they are subject tokens).
 *
 * @example
 * ```ts
 * commandSubject('tributary', 'Account', 'a-1'); // 'tributary.cmd.Account.a-1'
 * ```
 */
export function commandSubject(prefix: string, aggregate: string, id: string): string {
  return `${prefix}.cmd.${aggregate}.${id}`;
}
