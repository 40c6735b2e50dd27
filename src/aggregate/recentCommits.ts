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

// Shared by every empty ring: nothing is written to them, since the first push grows the ring.
const NO_INT32 = new Int32Array(0);
const NO_FLOAT64 = new Float64Array(0);

// A ring buffer: `size` entries ending just before `next`. Its logic is in module functions, not
// in closures made per ring: there is one ring per live aggregate.
type Ring = {
  readonly limit: number;
  capacity: number;
  hashes: Int32Array;
  versions: Float64Array;
  counts: Int32Array;
  positions: Float64Array;
  next: number;
  size: number;
};

function slotAt(ring: Ring, k: number): number {
  return (ring.next - ring.size + k + ring.capacity) % ring.capacity;
}

function grow(ring: Ring): void {
  const bigger = Math.min(ring.limit, Math.max(INITIAL_CAPACITY, ring.capacity * 2));
  const h = new Int32Array(bigger);
  const v = new Float64Array(bigger);
  const c = new Int32Array(bigger);
  const p = new Float64Array(bigger);
  for (let k = 0; k < ring.size; k++) {
    const slot = slotAt(ring, k);
    h[k] = ring.hashes[slot]!;
    v[k] = ring.versions[slot]!;
    c[k] = ring.counts[slot]!;
    p[k] = ring.positions[slot]!;
  }
  ring.hashes = h;
  ring.versions = v;
  ring.counts = c;
  ring.positions = p;
  ring.capacity = bigger;
  ring.next = ring.size % bigger;
}

function push(ring: Ring, hash: number, version: number, count: number, position: number): void {
  if (ring.limit <= 0) return;
  if (ring.size === ring.capacity && ring.capacity < ring.limit) grow(ring);
  const at = ring.next;
  ring.hashes[at] = hash;
  ring.versions[at] = version;
  ring.counts[at] = count;
  ring.positions[at] = position;
  ring.next = (at + 1) % ring.capacity;
  if (ring.size < ring.capacity) ring.size++;
}

// Slots fill from 0 before the ring wraps, so slots 0..size-1 are exactly the live entries.
function find(ring: Ring, hash: number): CommitRef | undefined {
  const hashes = ring.hashes;
  for (let slot = 0; slot < ring.size; slot++) {
    if (hashes[slot] === hash) return { version: ring.versions[slot]!, count: ring.counts[slot]!, position: ring.positions[slot]! };
  }
  return undefined;
}

function addEnvelopes(ring: Ring, envelopes: readonly EventEnvelope[]): void {
  // Only the last `limit` commits can survive, so skip straight to them on a long replay.
  let start = envelopes.length;
  let commits = 0;
  while (start > 0 && commits < ring.limit) {
    const position = envelopes[start - 1]!.position;
    while (start > 0 && envelopes[start - 1]!.position === position) start--;
    commits++;
  }
  let i = start;
  while (i < envelopes.length) {
    const first = envelopes[i]!;
    let j = i;
    while (j + 1 < envelopes.length && envelopes[j + 1]!.position === first.position) j++;
    push(ring, hashCommandId(first.commandId), envelopes[j]!.version, j - i + 1, first.position);
    i = j + 1;
  }
}

/**
 * Creates an empty {@link RecentCommits} holding at most `limit` commits (oldest dropped first).
 * Storage starts empty and grows with use, so a rarely used aggregate costs little.
 *
 * @example
 * ```ts
 * const recent = createRecentCommits(128);
 * ```
 */
export function createRecentCommits(limit: number): RecentCommits {
  const ring: Ring = { limit, capacity: 0, hashes: NO_INT32, versions: NO_FLOAT64, counts: NO_INT32, positions: NO_FLOAT64, next: 0, size: 0 };
  return {
    find(hash) {
      return find(ring, hash);
    },
    add(hash, version, count, position) {
      push(ring, hash, version, count, position);
    },
    addEnvelopes(envelopes) {
      addEnvelopes(ring, envelopes);
    },
    entries() {
      return Array.from({ length: ring.size }, (_, k) => {
        const slot = slotAt(ring, k);
        return [ring.hashes[slot]!, ring.versions[slot]!, ring.counts[slot]!, ring.positions[slot]!] as const;
      });
    },
    addEntries(entries) {
      for (const [hash, version, count, position] of entries) push(ring, hash, version, count, position);
    },
    clear() {
      ring.next = 0;
      ring.size = 0;
    },
  };
}
