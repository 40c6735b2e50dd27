import { ValidationError } from '../errors.js';

/**
 * Queue group of the read nodes answering view queries, so that one node answers each query.
 *
 * @example
 * ```ts
 * await createViewService({ nc, prefix, projections, queue: DEFAULT_VIEWS_QUEUE, logger });
 * ```
 */
export const DEFAULT_VIEWS_QUEUE = 'tributary-views';

// Characters a key may keep as they are in a subject token: safe in NATS subjects and in shells
// (`nats sub 'tributary.view.OrderSummary.o-1'`). Every other key is encoded.
const PLAIN_KEY = /^[A-Za-z0-9_\-:/@+=,]+$/;
// Marks an encoded key. It is not a plain character, so no plain key starts with it.
const ENCODED = '~';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The subject token of a view key, reversibly: a key made only of letters, digits and
 * `_ - : / @ + = ,` is its own token (`o-1`, `day/2024-05-01`); any other key (one with `.`, `*`,
 * `>`, spaces, `~`, `$` or non-ASCII characters) becomes `~` followed by the base64url of its
 * UTF-8 bytes, without padding (`a.b` → `~YS5i`). {@link decodeViewKey} reverses it.
 *
 * @example
 * ```ts
 * encodeViewKey('o-1'); // 'o-1'
 * encodeViewKey('ada@example.com'); // '~YWRhQGV4YW1wbGUuY29t'
 * ```
 */
export function encodeViewKey(key: string): string {
  if (typeof key !== 'string' || key === '') throw new ValidationError('a view key is a non-empty string', { field: 'key' });
  return PLAIN_KEY.test(key) ? key : ENCODED + Buffer.from(key, 'utf8').toString('base64url');
}

/**
 * The key a subject token stands for: the inverse of {@link encodeViewKey}. Throws
 * `ValidationError` for a token that no key encodes to.
 *
 * @example
 * ```ts
 * decodeViewKey('~YS5i'); // 'a.b'
 * decodeViewKey('o-1'); // 'o-1'
 * ```
 */
export function decodeViewKey(token: string): string {
  if (PLAIN_KEY.test(token)) return token;
  const encoded = token.slice(ENCODED.length);
  if (token.startsWith(ENCODED) && BASE64URL.test(encoded)) {
    const key = Buffer.from(encoded, 'base64url').toString('utf8');
    if (key !== '' && encodeViewKey(key) === token) return key;
  }
  throw new ValidationError(`${JSON.stringify(token)} is not the subject token of a view key`, { field: 'key', token });
}

/**
 * The subject a committed change of `key` is published on: `<prefix>.view.<projection>.<token>`,
 * where the token is {@link encodeViewKey}. Without `key`: the wildcard over every key of the
 * projection, `<prefix>.view.<projection>.*`.
 *
 * @example
 * ```ts
 * viewChangeSubject('tributary', 'AccountBalance', 'a-1'); // 'tributary.view.AccountBalance.a-1'
 * viewChangeSubject('tributary', 'AccountBalance'); // 'tributary.view.AccountBalance.*'
 * ```
 */
export function viewChangeSubject(prefix: string, projection: string, key?: string): string {
  return `${prefix}.view.${projection}.${key === undefined ? '*' : encodeViewKey(key)}`;
}

/**
 * The request subjects a read node answers (see `createViewService`):
 * - `query`: `<prefix>.views.query.<projection>`, the state of a view or of one key, with the
 *   position it is consistent with (in a queue group: one node answers);
 * - `status`: `<prefix>.views.status`, every read node answers with its projections' status;
 * - `rebuild`: `<prefix>.views.rebuild.<projection>`, every read node hosting it rebuilds it.
 *
 * They live under `<prefix>.views.` so that no watcher of `<prefix>.view.<projection>.*` ever
 * receives a request.
 *
 * @example
 * ```ts
 * viewRequestSubjects('tributary').query('AccountBalance'); // 'tributary.views.query.AccountBalance'
 * ```
 */
export function viewRequestSubjects(prefix: string): {
  query(projection: string): string;
  readonly status: string;
  rebuild(projection: string): string;
} {
  return {
    query: (projection) => `${prefix}.views.query.${projection}`,
    status: `${prefix}.views.status`,
    rebuild: (projection) => `${prefix}.views.rebuild.${projection}`,
  };
}
