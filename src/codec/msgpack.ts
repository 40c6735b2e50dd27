import { Decoder, Encoder } from '@msgpack/msgpack';
import { CodecError } from '../errors.js';

// One encoder and one decoder for the process: constructing them costs more than a small encode.
// `encode()` (not `encodeSharedRef()`) returns a copy, which nats-core may hold until its next flush.
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

/**
 * Encodes a value as msgpack. `undefined` object fields are dropped, as in JSON.
 *
 * @example
 * ```ts
 * const bytes = encode({ type: 'Deposit', payload: { amount: 10 } });
 * ```
 */
export function encode(value: unknown): Uint8Array {
  try {
    return encoder.encode(value);
  } catch (err) {
    throw new CodecError(`cannot encode value as msgpack: ${(err as Error).message}`, undefined, { cause: err });
  }
}

/**
 * Decodes msgpack bytes. Anything malformed (truncated, trailing bytes, bad type tags) throws a
 * {@link CodecError} with code `bad_encoding`, never a generic error.
 *
 * @example
 * ```ts
 * const command = decode(msg.data); // throws CodecError on garbage
 * ```
 */
export function decode(bytes: Uint8Array): unknown {
  try {
    return decoder.decode(bytes);
  } catch (err) {
    throw new CodecError(`malformed msgpack (${bytes.byteLength} bytes): ${(err as Error).message}`, {
      length: bytes.byteLength,
    }, { cause: err });
  }
}
