import { decode, encode, encodeTransient } from '../codec/msgpack.js';
import { CodecError } from '../errors.js';
import type { Commit, DomainEvent, EventEnvelope, SealedFields } from './eventLog.js';

/**
 * The stored form of a commit: one msgpack record per commit, the same bytes in LMDB and in a
 * JetStream message body. The position is not stored: it is the LMDB key or the stream sequence.
 * Field names are spelled out so that any NATS client can read the log.
 *
 * @example
 * ```ts
 * const bytes = encodeCommitRecord({ aggregate: 'Account', id: 'a-1', version: 1, commandId: 'c-1',
 *   correlationId: 'c-1', causationId: 'c-1', timestamp: Date.now(), events: [{ type: 'AccountOpened', data: {} }] });
 * ```
 */
export type CommitRecord = {
  aggregate: string;
  id: string;
  /** Aggregate version after this commit. */
  version: number;
  commandId: string;
  correlationId: string;
  causationId: string;
  timestamp: number;
  /** W3C trace context of the writer; absent (not written at all) when untraced. */
  traceparent?: string | undefined;
  events: DomainEvent[];
};

/**
 * Encodes a commit record as msgpack.
 *
 * @example
 * ```ts
 * await db.put(position, encodeCommitRecord(record));
 * ```
 */
export function encodeCommitRecord(record: CommitRecord): Uint8Array {
  return encode(storedRecord(record));
}

/**
 * {@link encodeCommitRecord} into the encoder's own buffer (see `encodeTransient`): the bytes are
 * valid only until the next encode, for a consumer that copies them at once (LMDB's `putSync`).
 *
 * @example
 * ```ts
 * commits.putSync(position, encodeCommitRecordTransient(record));
 * ```
 */
export function encodeCommitRecordTransient(record: CommitRecord): Uint8Array {
  return encodeTransient(storedRecord(record));
}

// The encoder drops undefined fields, so an untraced commit has no traceparent key at all, and
// the optional event fields are written only when set: events of version 1 keep their old bytes.
function storedRecord(record: CommitRecord): CommitRecord {
  return {
    aggregate: record.aggregate,
    id: record.id,
    version: record.version,
    commandId: record.commandId,
    correlationId: record.correlationId,
    causationId: record.causationId,
    timestamp: record.timestamp,
    traceparent: record.traceparent,
    events: record.events.map(storedEvent),
  };
}

function storedEvent(e: DomainEvent): DomainEvent {
  if (e.schemaVersion === undefined && e.sealed === undefined) return { type: e.type, data: e.data };
  const out: { type: string; data: unknown; schemaVersion?: number; sealed?: SealedFields } = { type: e.type, data: e.data };
  if (e.schemaVersion !== undefined && e.schemaVersion !== 1) out.schemaVersion = e.schemaVersion;
  if (e.sealed !== undefined) {
    const { subject, keyId, fields, box } = e.sealed;
    out.sealed = { subject, keyId, fields, box };
  }
  return out;
}

function isSealed(v: unknown): boolean {
  if (v === undefined) return true;
  const s = v as Partial<SealedFields> | null;
  return (
    s !== null &&
    typeof s === 'object' &&
    isString(s.subject) &&
    isString(s.keyId) &&
    Array.isArray(s.fields) &&
    s.fields.every(isString) &&
    s.box instanceof Uint8Array
  );
}

function isStoredEvent(e: unknown): boolean {
  if (e === null || typeof e !== 'object') return false;
  const event = e as DomainEvent;
  if (!isString(event.type)) return false;
  if (event.schemaVersion !== undefined && !(isCount(event.schemaVersion) && event.schemaVersion >= 1)) return false;
  return event.sealed === undefined || isSealed(event.sealed);
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Decodes and checks a stored commit record. A record of the wrong shape is a
 * {@link CodecError}, so that corruption is reported, not propagated.
 *
 * @example
 * ```ts
 * const record = decodeCommitRecord(bytes);
 * ```
 */
export function decodeCommitRecord(bytes: Uint8Array): CommitRecord {
  const value = decode(bytes) as Partial<CommitRecord> | null;
  if (
    value === null ||
    typeof value !== 'object' ||
    !isString(value.aggregate) ||
    !isString(value.id) ||
    !isCount(value.version) ||
    !isString(value.commandId) ||
    !isString(value.correlationId) ||
    !isString(value.causationId) ||
    typeof value.timestamp !== 'number' ||
    (value.traceparent !== undefined && !isString(value.traceparent)) ||
    !Array.isArray(value.events) ||
    value.events.length === 0 ||
    !value.events.every(isStoredEvent)
  ) {
    throw new CodecError('stored commit record has the wrong shape', { length: bytes.byteLength });
  }
  return value as CommitRecord;
}

/**
 * Builds the envelopes of a commit at a position: versions count up to `record.version`, and
 * `eventId` is `<commandId>/<index>`.
 *
 * @example
 * ```ts
 * const events = toEnvelopes(record, position);
 * ```
 */
export function toEnvelopes(record: CommitRecord, position: number): EventEnvelope[] {
  const first = record.version - record.events.length + 1;
  return record.events.map((e, i) => {
    const envelope: { -readonly [K in keyof EventEnvelope]: EventEnvelope[K] } = {
      type: e.type,
      data: e.data,
      eventId: `${record.commandId}/${i}`,
      aggregate: record.aggregate,
      id: record.id,
      version: first + i,
      position,
      timestamp: record.timestamp,
      commandId: record.commandId,
      correlationId: record.correlationId,
      causationId: record.causationId,
    };
    // Only versioned or sealed events carry the extra fields: the common envelope keeps one shape.
    // Assigned, not spread: V8 copies a spread envelope with a new field slowly (µs, not ns).
    if (e.schemaVersion !== undefined) envelope.schemaVersion = e.schemaVersion;
    if (e.sealed !== undefined) envelope.sealed = e.sealed;
    return envelope;
  });
}

/**
 * A commit record at its position, with its envelopes.
 *
 * @example
 * ```ts
 * const commit = toCommit(decodeCommitRecord(msg.data), msg.seq);
 * ```
 */
export function toCommit(record: CommitRecord, position: number): Commit {
  const commit: Commit = {
    position,
    aggregate: record.aggregate,
    id: record.id,
    version: record.version,
    timestamp: record.timestamp,
    commandId: record.commandId,
    correlationId: record.correlationId,
    causationId: record.causationId,
    events: toEnvelopes(record, position),
  };
  return record.traceparent === undefined ? commit : { ...commit, traceparent: record.traceparent };
}
