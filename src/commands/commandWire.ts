import { decode, encode } from '../codec/msgpack.js';
import { CodecError, ValidationError } from '../errors.js';
import type { Command, CommandResult } from './command.js';

/**
 * The content type that switches a request (and its reply) from msgpack to JSON, for tools that
 * cannot write msgpack, such as `nats req -H Content-Type:application/json`.
 */
export const JSON_CONTENT_TYPE = 'application/json';

// Fields a command may carry on the wire.
const COMMAND_FIELDS: readonly string[] = [
  'type',
  'aggregate',
  'id',
  'payload',
  'commandId',
  'correlationId',
  'expectedVersion',
];
const KNOWN_FIELDS = new Set(COMMAND_FIELDS);

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * Decodes a request body: msgpack, or JSON when `json` is true. Anything malformed is a
 * {@link CodecError} (`bad_encoding`).
 *
 * @example
 * ```ts
 * const body = decodeCommandBody(msg.data, msg.headers?.get('Content-Type') === 'application/json');
 * ```
 */
export function decodeCommandBody(data: Uint8Array, json: boolean): unknown {
  if (!json) return decode(data);
  try {
    return JSON.parse(utf8.decode(data));
  } catch (err) {
    throw new CodecError(`malformed JSON (${data.byteLength} bytes): ${(err as Error).message}`, { length: data.byteLength }, {
      cause: err,
    });
  }
}

/**
 * Turns a decoded request body into a {@link Command} for the aggregate and id that its subject
 * names. The subject is authoritative: `aggregate` and `id` may be left out of the body (they are
 * filled in), and when present they must equal the subject's. Unknown top-level fields are
 * refused, so that a misspelt `expectedVersion` never silently skips the concurrency check.
 * Everything else (types of the fields, the payload's schema) is checked by dispatch, exactly as
 * in-process. Throws {@link ValidationError} (`invalid`).
 *
 * @example
 * ```ts
 * toCommand({ type: 'Deposit', payload: { amount: 10 } }, 'Account', 'a-1');
 * // { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 10 } }
 * ```
 */
export function toCommand(body: unknown, aggregate: string, id: string): Command {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof Uint8Array) {
    const kind = body === null ? 'null' : Array.isArray(body) ? 'an array' : body instanceof Uint8Array ? 'binary' : typeof body;
    throw new ValidationError(`a command must be a map { type, payload, commandId, ... }, got ${kind}`, { field: 'command' });
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length > 0) {
    throw new ValidationError(
      `unknown command field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; ` +
        `a command has ${COMMAND_FIELDS.join(', ')}`,
      { field: 'command', unknown },
    );
  }
  if (fields.aggregate !== undefined && fields.aggregate !== aggregate) {
    throw new ValidationError(
      `the command's aggregate ${JSON.stringify(fields.aggregate)} does not match its subject's ${JSON.stringify(aggregate)}`,
      { field: 'aggregate', subject: aggregate },
    );
  }
  if (fields.id !== undefined && fields.id !== id) {
    throw new ValidationError(`the command's id ${JSON.stringify(fields.id)} does not match its subject's ${JSON.stringify(id)}`, {
      field: 'id',
      subject: id,
    });
  }
  return {
    type: fields.type as string,
    aggregate,
    id,
    payload: fields.payload,
    commandId: fields.commandId as string | undefined,
    correlationId: fields.correlationId as string | undefined,
    expectedVersion: fields.expectedVersion as number | undefined,
  };
}

/**
 * The wire form of a command a client sends: only the known fields (extra properties of the
 * caller's object stay home), with the commandId the client settled on.
 *
 * @example
 * ```ts
 * const bytes = encode(toWireCommand(command, command.commandId ?? randomUUID()));
 * ```
 */
export function toWireCommand(command: Command, commandId: string): Command {
  return {
    type: command.type,
    aggregate: command.aggregate,
    id: command.id,
    payload: command.payload,
    commandId,
    correlationId: command.correlationId,
    expectedVersion: command.expectedVersion,
  };
}

/**
 * Encodes a reply: msgpack, or JSON when the request was JSON.
 *
 * @example
 * ```ts
 * msg.respond(encodeCommandResult({ ok: false, error: { code: 'invalid', message: 'no type' } }, false));
 * ```
 */
export function encodeCommandResult(result: CommandResult, json: boolean): Uint8Array {
  return json ? utf8Encoder.encode(JSON.stringify(result)) : encode(result);
}

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Reads a decoded reply back into a {@link CommandResult}, checking its shape. A reply of another
 * shape (not from a Tributary command service?) is a {@link CodecError}.
 *
 * @example
 * ```ts
 * const result = toCommandResult(decode(reply.data));
 * ```
 */
export function toCommandResult(value: unknown): CommandResult {
  if (typeof value === 'object' && value !== null) {
    const r = value as Record<string, unknown>;
    if (r.ok === true && isCount(r.version) && isCount(r.position) && Array.isArray(r.events)) return value as CommandResult;
    if (r.ok === false && typeof r.error === 'object' && r.error !== null) {
      const e = r.error as Record<string, unknown>;
      if (typeof e.code === 'string' && typeof e.message === 'string') return value as CommandResult;
    }
  }
  throw new CodecError('the reply is not a command result { ok, version, position, events } or { ok: false, error }');
}
