import { ValidationError } from '../errors.js';
import type { AppendOptions, DomainEvent } from './eventLog.js';
import { assertAggregateId, assertAggregateName } from './subjectToken.js';

/**
 * Checks the arguments of `append` the same way on every engine, so both refuse the same input
 * with the same {@link ValidationError} before anything is written.
 *
 * @example
 * ```ts
 * validateAppend(aggregate, id, events, options); // throws ValidationError on bad input
 * ```
 */
export function validateAppend(aggregate: unknown, id: unknown, events: readonly DomainEvent[], options: AppendOptions): void {
  assertAggregateName(aggregate);
  assertAggregateId(id);
  if (!Array.isArray(events) || events.length === 0) {
    throw new ValidationError('a commit needs at least one event', { aggregate, id });
  }
  for (const e of events) {
    if (e === null || typeof e !== 'object' || typeof e.type !== 'string' || e.type.length === 0) {
      throw new ValidationError('every event needs a non-empty string `type`', { aggregate, id });
    }
  }
  if (typeof options?.commandId !== 'string' || options.commandId.length === 0) {
    throw new ValidationError('append needs a non-empty commandId', { aggregate, id });
  }
  const ev = options.expectedVersion;
  if (ev !== undefined && !(Number.isSafeInteger(ev) && ev >= 0)) {
    throw new ValidationError(`expectedVersion must be a non-negative integer, got ${String(ev)}`, { aggregate, id });
  }
}

/**
 * Checks the arguments of `refuse` the same way on every engine.
 *
 * @example
 * ```ts
 * validateRefusal(aggregate, id, options.commandId); // throws ValidationError on bad input
 * ```
 */
export function validateRefusal(aggregate: unknown, id: unknown, commandId: unknown): void {
  assertAggregateName(aggregate);
  assertAggregateId(id);
  if (typeof commandId !== 'string' || commandId.length === 0) {
    throw new ValidationError('refuse needs a non-empty commandId', { aggregate, id });
  }
}
