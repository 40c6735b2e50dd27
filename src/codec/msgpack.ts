import { Decoder, Encoder } from '@msgpack/msgpack';
import { CodecError } from '../errors.js';

// One encoder and one decoder for the process: constructing them costs more than a small encode.
// `encode()` (not `encodeSharedRef()`) returns a copy, which nats-core may hold until its next flush.
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

function cannotEncode(err: unknown): CodecError {
  return new CodecError(`cannot encode value as msgpack: ${(err as Error).message}`, undefined, { cause: err });
}

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
    throw cannotEncode(err);
  }
}

/**
 * Like {@link encode}, but the bytes are a view of the encoder's own buffer, valid only until the
 * next encode: for a consumer that copies them at once, such as LMDB's `putSync` inside a write
 * transaction. It saves the copy that {@link encode} makes.
 *
 * @example
 * ```ts
 * db.putSync(key, encodeTransient(value)); // putSync copies the bytes before anything else encodes
 * ```
 */
export function encodeTransient(value: unknown): Uint8Array {
  try {
    return encoder.encodeSharedRef(value);
  } catch (err) {
    throw cannotEncode(err);
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
