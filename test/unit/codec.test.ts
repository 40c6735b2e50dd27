import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/codec/msgpack.js';
import { CodecError } from '../../src/errors.js';
import { decodeCommitRecord, encodeCommitRecord, toCommit } from '../../src/eventLog/commitRecord.js';

describe('msgpack codec', () => {
  it('round-trips values and drops undefined fields', () => {
    expect(decode(encode({ a: 1, b: 'x', c: [true, null], d: undefined }))).toEqual({ a: 1, b: 'x', c: [true, null] });
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

  it('refuses msgpack of the wrong shape', () => {
    expect(() => decodeCommitRecord(encode({ aggregate: 'A' }))).toThrow(CodecError);
    expect(() => decodeCommitRecord(encode([1, 2, 3]))).toThrow(CodecError);
  });
});
