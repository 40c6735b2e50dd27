import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, randomFillSync, type KeyObject } from 'node:crypto';
import { decode, encode } from '../codec/msgpack.js';

/**
 * A data subject's key: 32 random bytes for AES-256-GCM, and an id that tells it apart from a
 * key the same subject gets after being forgotten.
 *
 * @example
 * ```ts
 * const key: SubjectKey = newSubjectKey();
 * ```
 */
export type SubjectKey = { readonly id: string; readonly key: Uint8Array };

const IV_BYTES = 12;
const TAG_BYTES = 16;

// A synchronous randomBytes(12) costs about as much as the encryption itself; IVs are therefore
// cut from a pool of random bytes refilled every 1024 IVs (random 96-bit IVs, as GCM recommends).
const ivPool = Buffer.alloc(IV_BYTES * 1024);
let ivNext = ivPool.length;
function nextIv(): Buffer {
  if (ivNext + IV_BYTES > ivPool.length) {
    randomFillSync(ivPool);
    ivNext = 0;
  }
  const iv = ivPool.subarray(ivNext, ivNext + IV_BYTES);
  ivNext += IV_BYTES;
  return iv;
}

// OpenSSL key objects, made once per key rather than once per event.
const keyObjects = new WeakMap<SubjectKey, KeyObject>();
function keyObjectOf(key: SubjectKey): KeyObject {
  let k = keyObjects.get(key);
  if (k === undefined) keyObjects.set(key, (k = createSecretKey(key.key)));
  return k;
}

/**
 * A fresh random key.
 *
 * @example
 * ```ts
 * await store.put(subject, newSubjectKey());
 * ```
 */
export function newSubjectKey(): SubjectKey {
  return { id: randomBytes(9).toString('base64url'), key: new Uint8Array(randomBytes(32)) };
}

/**
 * Encrypts field values with AES-256-GCM (node:crypto): a random 12-byte IV, then the ciphertext
 * of their msgpack form, then the 16-byte tag. `context` (the event's identity) is authenticated
 * too, so a box moved to another event fails to open.
 *
 * @example
 * ```ts
 * const box = sealValues(key, 'Customer/c-1/cmd-1/0', { name: 'Ada' });
 * ```
 */
export function sealValues(key: SubjectKey, context: string, values: Record<string, unknown>): Uint8Array {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', keyObjectOf(key), iv);
  cipher.setAAD(Buffer.from(context));
  const body = cipher.update(encode(values));
  const final = cipher.final();
  const out = new Uint8Array(IV_BYTES + body.length + final.length + TAG_BYTES);
  out.set(iv, 0);
  out.set(body, IV_BYTES);
  out.set(final, IV_BYTES + body.length);
  out.set(cipher.getAuthTag(), IV_BYTES + body.length + final.length);
  return out;
}

/**
 * Decrypts what {@link sealValues} sealed. Throws when the box is corrupt, or was sealed with
 * another key or context (GCM authentication fails).
 *
 * @example
 * ```ts
 * const { name } = openValues(key, 'Customer/c-1/cmd-1/0', box) as { name: string };
 * ```
 */
export function openValues(key: SubjectKey, context: string, box: Uint8Array): Record<string, unknown> {
  if (box.byteLength < IV_BYTES + TAG_BYTES) throw new Error(`the sealed box is ${box.byteLength} bytes, shorter than an IV and a tag`);
  const decipher = createDecipheriv('aes-256-gcm', keyObjectOf(key), box.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(box.subarray(box.byteLength - TAG_BYTES));
  const plain = Buffer.concat([decipher.update(box.subarray(IV_BYTES, box.byteLength - TAG_BYTES)), decipher.final()]);
  const values = decode(plain);
  if (values === null || typeof values !== 'object') throw new Error('the sealed box does not hold field values');
  return values as Record<string, unknown>;
}
