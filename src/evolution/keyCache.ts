import type { SubjectKey } from './sealFields.js';

/**
 * What the cache holds for a subject: its key, or `undefined` when the store had none (never
 * had one, or forgotten).
 *
 * @example
 * ```ts
 * const entry: CachedKey = { key: undefined, at: performance.now() };
 * ```
 */
export type CachedKey = { readonly key: SubjectKey | undefined; readonly at: number };

/**
 * The keys of data subjects as this process last read them from the key store: a bounded LRU,
 * each entry trusted for `ttlMs` (a `forget` by another process is seen within that time).
 * A `forget` through this cache evicts at once, and a lookup that was in flight while some
 * subject was forgotten is not cached (it may have read the key before the delete).
 *
 * @example
 * ```ts
 * const cache = createKeyCache({ ttlMs: 2000, max: 100_000 });
 * const since = cache.epoch();
 * cache.remember('c-1', await keys.getOrCreate('c-1'), since);
 * cache.fresh('c-1')?.key; // the key, for ttlMs
 * cache.forgotten('c-1'); // fresh('c-1') now gives { key: undefined }
 * ```
 */
export type KeyCache = {
  /** The subject's entry when it was read from the store less than `ttlMs` ago. */
  fresh(subject: string): CachedKey | undefined;
  /** The subject's entry however old it is. */
  last(subject: string): CachedKey | undefined;
  /** Caches what the store gave, unless a subject was forgotten since `since` (an {@link KeyCache.epoch}). */
  remember(subject: string, key: SubjectKey | undefined, since: number): void;
  /** Counts forgets: taken before a store lookup, handed to `remember` after it. */
  epoch(): number;
  /** The subject's key was deleted by this process: from now on it has none. */
  forgotten(subject: string): void;
};

/**
 * Creates a {@link KeyCache}.
 *
 * @example
 * ```ts
 * const cache = createKeyCache({ ttlMs: 2000, max: 100_000 });
 * ```
 */
export function createKeyCache(options: { readonly ttlMs: number; readonly max: number }): KeyCache {
  const { ttlMs, max } = options;
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, CachedKey>();
  let forgets = 0;

  const put = (subject: string, entry: CachedKey) => {
    entries.delete(subject);
    entries.set(subject, entry);
    if (entries.size > max) entries.delete(entries.keys().next().value!);
  };

  return {
    fresh(subject) {
      const entry = entries.get(subject);
      if (entry === undefined) return undefined;
      if (performance.now() - entry.at >= ttlMs) return undefined;
      put(subject, entry);
      return entry;
    },
    last: (subject) => entries.get(subject),
    remember(subject, key, since) {
      if (since !== forgets) return;
      const previous = entries.get(subject)?.key;
      // The same key object again, so that what is derived from it (the cipher key) stays cached.
      const same = key !== undefined && previous !== undefined && previous.id === key.id;
      put(subject, { key: same ? previous : key, at: performance.now() });
    },
    epoch: () => forgets,
    forgotten(subject) {
      forgets++;
      put(subject, { key: undefined, at: performance.now() });
    },
  };
}
