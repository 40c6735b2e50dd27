import type { EventEnvelope } from '../eventLog/eventLog.js';
import { createKeyCache } from './keyCache.js';
import type { KeyStore } from './keyStore.js';
import type { KeyLookup } from './readEvent.js';
import type { SubjectKey } from './sealFields.js';

const noKeys: KeyLookup = () => undefined;

/**
 * The keys of data subjects as the evolving log uses them: its key store behind a
 * {@link createKeyCache} cache, with the rules of each path. Reads load a batch's keys before
 * reading it and never use a stale key; writes take a cached key without an await (a stale one
 * is re-read in the background) and create one when the subject has none; `forget` deletes the
 * key and evicts it here.
 *
 * @example
 * ```ts
 * const subjectKeys = createSubjectKeys({ keys, ttlMs: 2000, max: 100_000 });
 * const keyOf = await subjectKeys.loadKeys(envelopes);
 * const key = subjectKeys.writeKey('c-1') ?? (await subjectKeys.keyFor('c-1'));
 * ```
 */
export type SubjectKeys = {
  /** The keys of the sealed envelopes, as a synchronous lookup for reading them. */
  loadKeys(envelopes: Iterable<EventEnvelope>): Promise<KeyLookup>;
  /** The cached key for a write, undefined when none is cached (then use `keyFor`). */
  writeKey(subject: string): SubjectKey | undefined;
  /** The subject's key from the store, created when it has none. */
  keyFor(subject: string): Promise<SubjectKey>;
  /** Deletes the subject's key (idempotent) and evicts it from the cache. */
  forget(subject: string): Promise<void>;
};

/**
 * Creates the {@link SubjectKeys} over a key store (none: every sealed field reads as erased).
 *
 * @example
 * ```ts
 * const subjectKeys = createSubjectKeys({ keys: createLmdbKeyStore({ path }), ttlMs: 2000, max: 100_000 });
 * ```
 */
export function createSubjectKeys(options: { readonly keys: KeyStore | undefined; readonly ttlMs: number; readonly max: number }): SubjectKeys {
  const { keys } = options;
  const cache = createKeyCache({ ttlMs: options.ttlMs, max: options.max });

  // The keys of the sealed events, from the cache or the store, in a lookup of their own: what a
  // batch needs stays at hand however many subjects it has, so that reading it is synchronous.
  const loadKeys = async (envelopes: Iterable<EventEnvelope>): Promise<KeyLookup> => {
    let batch: Map<string, SubjectKey | undefined> | undefined;
    let missing: string[] | undefined;
    for (const e of envelopes) {
      const subject = e.sealed?.subject;
      if (subject === undefined || batch?.has(subject) === true) continue;
      batch ??= new Map();
      const cached = cache.fresh(subject);
      batch.set(subject, cached?.key);
      if (cached === undefined) (missing ??= []).push(subject);
    }
    if (missing !== undefined && keys !== undefined) {
      const since = cache.epoch();
      await Promise.all(
        missing.map(async (subject) => {
          const key = await keys.get(subject);
          batch!.set(subject, key);
          cache.remember(subject, key, since);
        }),
      );
    }
    return batch === undefined ? noKeys : (subject) => batch.get(subject);
  };

  const keyFor = async (subject: string): Promise<SubjectKey> => {
    const since = cache.epoch();
    const key = await keys!.getOrCreate(subject);
    cache.remember(subject, key, since);
    return key;
  };

  // A write may seal with a key past its `ttlMs` while the store is asked again in the
  // background: awaiting the store would make the command miss the log's current write batch.
  // At worst, a subject forgotten by another process has one more event sealed with its deleted
  // key, which then reads as erased like the others. Reads never use a stale key.
  const refreshing = new Set<string>();
  const revalidate = (subject: string) => {
    if (refreshing.has(subject)) return;
    refreshing.add(subject);
    const since = cache.epoch();
    // A failed read leaves the entry stale: the next write asks again.
    keys!.get(subject).then(
      (key) => {
        refreshing.delete(subject);
        cache.remember(subject, key, since);
      },
      () => refreshing.delete(subject),
    );
  };
  const writeKey = (subject: string): SubjectKey | undefined => {
    const fresh = cache.fresh(subject);
    if (fresh !== undefined) return fresh.key;
    const last = cache.last(subject)?.key;
    if (last !== undefined) revalidate(subject);
    return last;
  };

  return {
    loadKeys,
    writeKey,
    keyFor,
    async forget(subject) {
      if (keys === undefined) return;
      // Evicted before the delete too: no read here opens the subject's data once forget has begun.
      cache.forgotten(subject);
      await keys.forget(subject);
      cache.forgotten(subject);
    },
  };
}
