import { describe, expect, it } from 'vitest';
import { decode, encode, encodeTransient } from '../../src/codec/msgpack.js';
import { CodecError } from '../../src/errors.js';
import { decodeCommitRecord, encodeCommitRecord, encodeCommitRecordTransient, toCommit } from '../../src/eventLog/commitRecord.js';

describe('msgpack codec', () => {
  it('round-trips values and drops undefined fields', () => {
    expect(decode(encode({ a: 1, b: 'x', c: [true, null], d: undefined }))).toEqual({ a: 1, b: 'x', c: [true, null] });
  });

  it('encodes transiently to the same bytes, in a buffer that the next encode reuses', () => {
    const first = encodeTransient({ a: 1 });
    expect(Array.from(first)).toEqual(Array.from(encode({ a: 1 })));
    encodeTransient({ a: 2 });
    // The view was the encoder's own buffer: a caller that keeps it sees the next value.
    expect(decode(first)).toEqual({ a: 2 });
  });

  it.each([
    ['truncated map', Uint8Array.from([0x82, 0xa1, 0x61])],
    ['reserved type byte 0xc1', Uint8Array.from([0xc1])],
    ['empty input', new Uint8Array(0)],
    ['trailing bytes', Uint8Array.from([0x01, 0x02])],
  ])('throws CodecError (bad_encoding) on %s', (_name, bytes) => {
    expect(() => decode(bytes)).toThrow(CodecError);
    try {
      decode(bytes);
    } catch (err) {
      expect((err as CodecError).code).toBe('bad_encoding');
    }
  });
});

describe('commit record', () => {
  it('round-trips and builds envelopes with versions counting up to the commit version', () => {
    const bytes = encodeCommitRecord({
      aggregate: 'Account', id: 'a-1', version: 5, commandId: 'c', correlationId: 'r', causationId: 'k', timestamp: 7,
      events: [{ type: 'A', data: { n: 1 } }, { type: 'B', data: null }],
    });
    const commit = toCommit(decodeCommitRecord(bytes), 42);
    expect(commit.events.map((e) => [e.type, e.version, e.position, e.eventId])).toEqual([
      ['A', 4, 42, 'c/0'],
      ['B', 5, 42, 'c/1'],
    ]);
  });

  it('writes no traceparent key when untraced, and the same bytes transiently', () => {
    const record = { aggregate: 'A', id: 'x', version: 1, commandId: 'c', correlationId: 'c', causationId: 'c', timestamp: 7, events: [{ type: 'E', data: {} }] };
    const bytes = encodeCommitRecord({ ...record, traceparent: undefined });
    expect(Object.keys(decode(bytes) as object)).not.toContain('traceparent');
    expect(Array.from(encodeCommitRecordTransient(record))).toEqual(Array.from(bytes));
    expect((decode(encodeCommitRecord({ ...record, traceparent: 't' })) as { traceparent?: string }).traceparent).toBe('t');
  });

  it('refuses msgpack of the wrong shape', () => {
    expect(() => decodeCommitRecord(encode({ aggregate: 'A' }))).toThrow(CodecError);
    expect(() => decodeCommitRecord(encode([1, 2, 3]))).toThrow(CodecError);
  });
});
