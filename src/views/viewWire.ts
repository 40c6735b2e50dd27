import { decode } from '../codec/msgpack.js';
import {
  ClosedError,
  CodecError,
  ConfigError,
  ConnectionError,
  InternalError,
  NotFoundError,
  ProjectionFailedError,
  TimeoutError,
  ValidationError,
  type ErrorShape,
  type TributaryError,
} from '../errors.js';
import type { ProjectionStatus, RebuildResult, ViewChange } from '../projection/projection.js';

/**
 * A query to a read node (msgpack, on `<prefix>.views.query.<projection>`): the state of the
 * view, or of one `key`, once the node has processed `minPosition`. With `fromPosition`, the
 * entries are left out when the view has committed nothing at or after it (nothing was missed).
 *
 * @example
 * ```ts
 * const request: ViewQuery = { key: 'a-1', minPosition: 42, timeout: 2000 };
 * ```
 */
export type ViewQuery = {
  readonly key?: string;
  readonly fromPosition?: number;
  readonly minPosition?: number;
  /** How long the node waits for `minPosition`, in ms. */
  readonly timeout?: number;
};

/**
 * One reply message of a query; a large state comes in several, `chunk` 0, 1, ... until `last`.
 * `position` is the checkpoint C the entries are consistent with. A `key` query has one entry,
 * with `value: null` when the key is absent. When the view has committed nothing at or after the
 * query's `fromPosition`, there are no entries and `position` is `fromPosition - 1`: follow the
 * live changes from `fromPosition` on.
 *
 * @example
 * ```ts
 * const chunk: ViewQueryChunk = { ok: true, projection: 'AccountBalance', position: 42, entries: [{ key: 'a-1', value: { balance: 5 } }], chunk: 0, last: true };
 * ```
 */
export type ViewQueryChunk =
  | {
      readonly ok: true;
      readonly projection: string;
      readonly position: number;
      readonly entries: readonly { readonly key: string; readonly value: unknown }[];
      readonly chunk: number;
      readonly last: boolean;
    }
  | { readonly ok: false; readonly error: ErrorShape };

/**
 * What one read node answers on `<prefix>.views.status`.
 *
 * @example
 * ```ts
 * for (const { node, projections } of await views.statuses()) console.log(node, projections.map((p) => p.lag));
 * ```
 */
export type ReadNodeStatus = {
  /** The node's name (default `<hostname>:<pid>`). */
  readonly node: string;
  readonly projections: readonly ProjectionStatus[];
};

/**
 * The messages a read node sends while it rebuilds a projection for a `<prefix>.views.rebuild.<projection>` request.
 *
 * @example
 * ```ts
 * if (message.type === 'progress') bar.update(message.position, { total: message.headPosition });
 * ```
 */
export type RebuildMessage =
  | { readonly type: 'started'; readonly node: string }
  | { readonly type: 'progress'; readonly node: string; readonly position: number; readonly headPosition: number }
  | { readonly type: 'done'; readonly node: string; readonly result: RebuildResult }
  | { readonly type: 'failed'; readonly node: string; readonly error: ErrorShape };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const isPosition = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isString = (v: unknown): v is string => typeof v === 'string';

function malformed(what: string): never {
  throw new CodecError(`malformed ${what}`);
}

/**
 * Decodes a published view change (`{ projection, key, value, position }`), throwing
 * `CodecError` for anything else.
 *
 * @example
 * ```ts
 * const change = decodeViewChange(msg.data);
 * ```
 */
export function decodeViewChange(data: Uint8Array): ViewChange {
  const body = decode(data);
  if (!isRecord(body) || !isString(body.projection) || !isString(body.key) || !isPosition(body.position) || !('value' in body)) {
    malformed('view change');
  }
  return { projection: body.projection, key: body.key, value: body.value ?? null, position: body.position };
}

/**
 * Decodes and checks a {@link ViewQuery}; throws `CodecError` or `ValidationError`.
 *
 * @example
 * ```ts
 * const query = decodeViewQuery(msg.data);
 * ```
 */
export function decodeViewQuery(data: Uint8Array): ViewQuery {
  const body = data.byteLength === 0 ? {} : decode(data);
  if (!isRecord(body)) throw new ValidationError('a view query is a map { key?, fromPosition?, minPosition?, timeout? }', { field: 'query' });
  const known = new Set(['key', 'fromPosition', 'minPosition', 'timeout']);
  for (const field of Object.keys(body)) {
    if (!known.has(field)) throw new ValidationError(`a view query has no field ${JSON.stringify(field)}`, { field });
  }
  const { key, fromPosition, minPosition, timeout } = body;
  if (key !== undefined && (!isString(key) || key === '')) throw new ValidationError('key must be a non-empty string', { field: 'key' });
  for (const [field, v] of [['fromPosition', fromPosition], ['minPosition', minPosition], ['timeout', timeout]] as const) {
    if (v !== undefined && !isPosition(v)) throw new ValidationError(`${field} must be a non-negative integer`, { field });
  }
  return body as ViewQuery;
}

/**
 * Decodes one {@link ViewQueryChunk}; throws `CodecError` for anything else.
 *
 * @example
 * ```ts
 * const chunk = decodeViewQueryChunk(msg.data);
 * ```
 */
export function decodeViewQueryChunk(data: Uint8Array): ViewQueryChunk {
  const body = decode(data);
  if (isRecord(body) && body.ok === false && isRecord(body.error) && isString(body.error.code) && isString(body.error.message)) {
    return body as ViewQueryChunk;
  }
  if (
    !isRecord(body) ||
    body.ok !== true ||
    !isString(body.projection) ||
    !isPosition(body.position) ||
    !isPosition(body.chunk) ||
    typeof body.last !== 'boolean' ||
    !Array.isArray(body.entries) ||
    !body.entries.every((e) => isRecord(e) && isString(e.key))
  ) {
    malformed('view query reply');
  }
  return body as ViewQueryChunk;
}

/**
 * Decodes a {@link ReadNodeStatus}; throws `CodecError` for anything else.
 *
 * @example
 * ```ts
 * const status = decodeReadNodeStatus(msg.data);
 * ```
 */
export function decodeReadNodeStatus(data: Uint8Array): ReadNodeStatus {
  const body = decode(data);
  if (!isRecord(body) || !isString(body.node) || !Array.isArray(body.projections) || !body.projections.every(isRecord)) {
    malformed('read node status');
  }
  return body as ReadNodeStatus;
}

/**
 * Decodes a {@link RebuildMessage}; throws `CodecError` for anything else.
 *
 * @example
 * ```ts
 * const message = decodeRebuildMessage(msg.data);
 * ```
 */
export function decodeRebuildMessage(data: Uint8Array): RebuildMessage {
  const body = decode(data);
  if (!isRecord(body) || !isString(body.node)) malformed('rebuild message');
  switch (body.type) {
    case 'started':
      return body as RebuildMessage;
    case 'progress':
      if (isPosition(body.position) && isPosition(body.headPosition)) return body as RebuildMessage;
      break;
    case 'done':
      if (isRecord(body.result) && isPosition(body.result.position)) return body as RebuildMessage;
      break;
    case 'failed':
      if (isRecord(body.error) && isString(body.error.message)) return body as RebuildMessage;
      break;
  }
  return malformed('rebuild message');
}

const ERRORS: Partial<Record<ErrorShape['code'], new (message: string, details?: Record<string, unknown>) => TributaryError>> = {
  invalid: ValidationError,
  bad_encoding: CodecError,
  not_found: NotFoundError,
  timeout: TimeoutError,
  config: ConfigError,
  connection: ConnectionError,
  closed: ClosedError,
  projection_failed: ProjectionFailedError,
};

/**
 * The error a read node reported, as the class of its code (`InternalError` for codes a read node
 * never sends), so a remote failure can be told apart as a local one would.
 *
 * @example
 * ```ts
 * if (!chunk.ok) throw errorFromShape(chunk.error);
 * ```
 */
export function errorFromShape(shape: ErrorShape): TributaryError {
  const ErrorClass = ERRORS[shape.code] ?? InternalError;
  return new ErrorClass(shape.message, shape.details);
}
