import { ValidationError } from '../errors.js';

/** Longest id accepted, in characters. Keeps subjects (and LMDB keys, max 1978 bytes) small. */
export const MAX_ID_LENGTH = 128;

// Aggregate names become subject tokens and TypeScript-ish identifiers in user code.
const AGGREGATE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
// NATS tokens may not contain '.', '*', '>' or whitespace; control characters are refused too
// because they make subjects unreadable in logs and tools.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_ID = /[.*>\s\u0000-\u001f\u007f]/u;

/**
 * Checks that an aggregate name is usable as a NATS subject token and an identifier
 * (`/^[A-Za-z][A-Za-z0-9_]{0,63}$/`). Throws {@link ValidationError} otherwise.
 *
 * @example
 * ```ts
 * assertAggregateName('Account'); // ok
 * assertAggregateName('my.account'); // throws ValidationError (code 'invalid')
 * ```
 */
export function assertAggregateName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !AGGREGATE_NAME.test(name)) {
    throw new ValidationError(
      `aggregate name ${JSON.stringify(name)} is not valid: use a letter then letters, digits or _ (at most 64)`,
      { field: 'aggregate', value: typeof name === 'string' ? name : String(name) },
    );
  }
}

/**
 * Checks that an aggregate id is a valid NATS subject token: 1 to {@link MAX_ID_LENGTH}
 * characters, with no `.`, `*`, `>`, whitespace or control characters. Throws
 * {@link ValidationError} naming the offending character otherwise.
 *
 * @example
 * ```ts
 * assertAggregateId('order-42'); // ok
 * assertAggregateId('a.b'); // throws: id "a.b" is not a valid subject token: it contains "."
 * ```
 */
export function assertAggregateId(id: unknown): asserts id is string {
  if (typeof id !== 'string') {
    throw new ValidationError(`id must be a string, got ${typeof id}`, { field: 'id' });
  }
  if (id.length === 0) {
    throw new ValidationError('id is empty: it must be a non-empty subject token', { field: 'id', value: id });
  }
  if (id.length > MAX_ID_LENGTH) {
    throw new ValidationError(`id is ${id.length} characters long; the limit is ${MAX_ID_LENGTH}`, {
      field: 'id',
      length: id.length,
    });
  }
  const bad = FORBIDDEN_IN_ID.exec(id);
  if (bad) {
    throw new ValidationError(
      `id ${JSON.stringify(id)} is not a valid subject token: it contains ${JSON.stringify(bad[0])} ` +
        '(".", "*", ">", whitespace and control characters are not allowed)',
      { field: 'id', value: id },
    );
  }
}
