import { mkdirSync } from 'node:fs';
import { open, type Database } from 'lmdb';
import { decode, encode } from '../codec/msgpack.js';
import { CodecError } from '../errors.js';
import { asSubjectKey, type KeyStore } from './keyStore.js';
import { newSubjectKey, type SubjectKey } from './sealFields.js';

/**
 * The key store of the embedded engine: its own LMDB environment (`<dataDir>/keys`), so that the
 * keys can be backed up, or not, apart from the log. A new key is on disk before it is handed out,
 * so it exists before any event sealed with it.
 *
 * @example
 * ```ts
 * const keys = createLmdbKeyStore({ path: './data/keys' });
 * ```
 */
export function createLmdbKeyStore(options: { readonly path: string }): KeyStore {
  mkdirSync(options.path, { recursive: true });
  const root = open({ path: options.path });
  const db: Database<Uint8Array, string> = root.openDB({ name: 'subjectKeys', encoding: 'binary' });
  // Concurrent creations of one subject's key in this handle share one write.
  const pending = new Map<string, Promise<SubjectKey>>();
  const read = (subject: string): SubjectKey | undefined => {
    // A read snapshot may predate another handle's (or process's) forget; reads here are rare
    // (the evolving log caches keys), so each starts from the latest commit.
    root.resetReadTxn();
    const bytes = db.get(subject);
    if (bytes === undefined) return undefined;
    const key = asSubjectKey(decode(bytes));
    if (key === undefined) throw new CodecError(`the stored key of data subject ${JSON.stringify(subject)} has the wrong shape`, { subject });
    return key;
  };
  return {
    get: (subject) => Promise.resolve(read(subject)),
    getOrCreate(subject) {
      const known = read(subject);
      if (known !== undefined) return Promise.resolve(known);
      let creating = pending.get(subject);
      if (creating === undefined) {
        creating = (async () => {
          try {
            const fresh = newSubjectKey();
            // Conditional, so that two handles (or processes) creating at once agree on the first
            // key written. lmdb-js batches the puts of many new subjects into one transaction. The
            // key must be on disk before any event sealed with it is written (another environment,
            // so no ordering between them is implied): hence `flushed`, one fsync for the batch.
            await db.ifNoExists(subject, () => db.put(subject, encode(fresh)));
            await db.flushed;
            const stored = read(subject);
            if (stored === undefined) throw new CodecError(`the key of data subject ${JSON.stringify(subject)} was forgotten while it was being created`, { subject });
            return stored;
          } finally {
            pending.delete(subject);
          }
        })();
        pending.set(subject, creating);
      }
      return creating;
    },
    async forget(subject) {
      db.removeSync(subject);
      await db.flushed;
    },
    close: () => root.close(),
  };
}
