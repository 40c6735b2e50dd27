import type { EventEnvelope } from '../eventLog/eventLog.js';

/**
 * Where one commit sits in its aggregate's stream: enough to read its envelopes back.
 *
 * @example
 * ```ts
 * const ref: CommitRef = { version: 7, count: 2, position: 311 }; // events 6 and 7, at position 311
 * ```
 */
export type CommitRef = { readonly version: number; readonly count: number; readonly position: number };

/**
 * A remembered commit in compact form: [hash of the commandId, version, count, position].
 *
 * @example
 * ```ts
 * const entry: RecentEntry = [hashCommandId('c-1'), 7, 2, 311];
 * ```
 */
export type RecentEntry = readonly [hash: number, version: number, count: number, position: number];

/**
 * The last commits of one aggregate, bounded, looked up by commandId. The host runs a command
 * before it appends, so it must recognise a retried command itself: a retry must get the first
 * result even if the state has changed since.
 *
 * Only a 32-bit hash of each commandId is kept, in typed arrays: with tens of thousands of live
 * aggregates, retaining every commandId string and a map entry per commit costs a lot of memory
 * and GC time. A hit is therefore only a candidate: the caller confirms it against the commandId
 * of the commit read back from the log.
 *
 * @example
 * ```ts
 * const recent = createRecentCommits(128);
 * recent.add(hashCommandId('c-1'), 1, 1, 1);
 * recent.find(hashCommandId('c-1')); // { version: 1, count: 1, position: 1 } (a candidate)
 * ```
 */
export type RecentCommits = {
  /** A commit whose commandId hash matches (see {@link hashCommandId}), if any. */
  find(hash: number): CommitRef | undefined;
  add(hash: number, version: number, count: number, position: number): void;
  /** Adds the commits of envelopes read from the log (grouped by position), oldest first. */
  addEnvelopes(envelopes: readonly EventEnvelope[]): void;
  /** Oldest first, for snapshots. */
  entries(): RecentEntry[];
  /** Restores entries taken by {@link RecentCommits.entries}. */
  addEntries(entries: readonly RecentEntry[]): void;
  clear(): void;
};

/**
 * FNV-1a over the UTF-16 code units: cheap, and well spread for UUIDs and counters alike.
 *
 * @example
 * ```ts
 * hashCommandId('c-1') === hashCommandId('c-1'); // true
 * ```
 */
export function hashCommandId(commandId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < commandId.length; i++) {
    h ^= commandId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

const INITIAL_CAPACITY = 8;

/**
 * Creates an empty {@link RecentCommits} holding at most `limit` commits (oldest dropped first).
 * Storage starts small and grows with use, so a rarely used aggregate costs little.
 *
 * @example
 * ```ts
 * const recent = createRecentCommits(128);
 * ```
 */
export function createRecentCommits(limit: number): RecentCommits {
  let capacity = 0;
  let hashes = new Int32Array(0);
  let versions = new Float64Array(0);
  let counts = new Int32Array(0);
  let positions = new Float64Array(0);
  // Ring buffer: `size` entries ending just before `next`.
  let next = 0;
  let size = 0;

  const grow = (): void => {
    const bigger = Math.min(limit, Math.max(INITIAL_CAPACITY, capacity * 2));
    const order = Array.from({ length: size }, (_, k) => (next - size + k + capacity) % capacity);
    const h = new Int32Array(bigger);
    const v = new Float64Array(bigger);
    const c = new Int32Array(bigger);
    const p = new Float64Array(bigger);
    order.forEach((slot, k) => {
      h[k] = hashes[slot]!;
      v[k] = versions[slot]!;
      c[k] = counts[slot]!;
      p[k] = positions[slot]!;
    });
    hashes = h;
    versions = v;
    counts = c;
    positions = p;
    capacity = bigger;
    next = size % capacity;
  };

  const push = (hash: number, version: number, count: number, position: number): void => {
    if (limit <= 0) return;
    if (size === capacity && capacity < limit) grow();
    hashes[next] = hash;
    versions[next] = version;
    counts[next] = count;
    positions[next] = position;
    next = (next + 1) % capacity;
    if (size < capacity) size++;
  };

  const slotAt = (k: number): number => (next - size + k + capacity) % capacity;

  return {
    // Slots fill from 0 before the ring wraps, so slots 0..size-1 are exactly the live entries.
    find(hash) {
      for (let slot = 0; slot < size; slot++) {
        if (hashes[slot] === hash) return { version: versions[slot]!, count: counts[slot]!, position: positions[slot]! };
      }
      return undefined;
    },
    add: push,
    addEnvelopes(envelopes) {
      // Only the last `limit` commits can survive, so skip straight to them on a long replay.
      let start = envelopes.length;
      let commits = 0;
      while (start > 0 && commits < limit) {
        const position = envelopes[start - 1]!.position;
        while (start > 0 && envelopes[start - 1]!.position === position) start--;
        commits++;
      }
      let i = start;
      while (i < envelopes.length) {
        const first = envelopes[i]!;
        let j = i;
        while (j + 1 < envelopes.length && envelopes[j + 1]!.position === first.position) j++;
        push(hashCommandId(first.commandId), envelopes[j]!.version, j - i + 1, first.position);
        i = j + 1;
      }
    },
    entries() {
      return Array.from({ length: size }, (_, k) => {
        const slot = slotAt(k);
        return [hashes[slot]!, versions[slot]!, counts[slot]!, positions[slot]!] as const;
      });
    },
    addEntries(entries) {
      for (const [hash, version, count, position] of entries) push(hash, version, count, position);
    },
    clear() {
      next = 0;
      size = 0;
    },
  };
}
