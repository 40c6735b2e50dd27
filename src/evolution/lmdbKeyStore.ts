import { mkdirSync } from 'node:fs';
import { open, type Database } from 'lmdb';
import { decode, encode } from '../codec/msgpack.js';
import { CodecError } from '../errors.js';
import { asSubjectKey, type KeyStore } from './keyStore.js';
import { newSubjectKey, type SubjectKey } from './sealFields.js';

/**
 * The key store of the embedded engine: its own LMDB environment (`<dataDir>/keys`), so that the
 * keys can be backed up, or not, apart from the log. Writes are synchronous transactions, so a
 * key exists on disk before any event sealed with it.
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
  const read = (subject: string): SubjectKey | undefined => {
    const bytes = db.get(subject);
    if (bytes === undefined) return undefined;
    const key = asSubjectKey(decode(bytes));
    if (key === undefined) throw new CodecError(`the stored key of data subject ${JSON.stringify(subject)} has the wrong shape`, { subject });
    return key;
  };
  return {
    get: (subject) => Promise.resolve(read(subject)),
    getOrCreate(subject) {
      return Promise.resolve(
        db.transactionSync(() => {
          const known = read(subject);
          if (known !== undefined) return known;
          const fresh = newSubjectKey();
          db.putSync(subject, encode(fresh));
          return fresh;
        }),
      );
    },
    async forget(subject) {
      db.removeSync(subject);
      await db.flushed;
    },
    close: () => root.close(),
  };
}
