import type { SubjectKey } from './sealFields.js';

/**
 * Where the keys of data subjects live, beside the log: an LMDB environment on the embedded
 * engine, a JetStream KV bucket on NATS. Deleting a subject's key is what erases its personal
 * data everywhere in the log ("crypto-shredding").
 *
 * @example
 * ```ts
 * const key = await keys.getOrCreate('c-1');
 * await keys.forget('c-1'); // idempotent
 * ```
 */
export type KeyStore = {
  /** The subject's key; undefined when it has none (never had one, or forgotten). */
  get(subject: string): Promise<SubjectKey | undefined>;
  /** The subject's key, creating one when it has none; concurrent callers get the same key. */
  getOrCreate(subject: string): Promise<SubjectKey>;
  /** Deletes the subject's key (idempotent). A later getOrCreate makes a new key with another id. */
  forget(subject: string): Promise<void>;
  close(): Promise<void>;
};

/**
 * Checks a stored key record.
 *
 * @example
 * ```ts
 * const key = asSubjectKey(decode(bytes));
 * ```
 */
export function asSubjectKey(value: unknown): SubjectKey | undefined {
  const k = value as Partial<SubjectKey> | null;
  if (k === null || typeof k !== 'object' || typeof k.id !== 'string' || !(k.key instanceof Uint8Array) || k.key.byteLength !== 32) return undefined;
  return { id: k.id, key: k.key };
}
