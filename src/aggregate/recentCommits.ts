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

// Most aggregates take few commands while they are live (a million accounts opened once each),
// so a ring starts small and doubles up to its limit.
const INITIAL_CAPACITY = 2;
// One Float64Array holds every field of an entry, side by side: [hash, version, count, position].
// Four typed arrays per ring would cost four objects and four buffers per live aggregate.
const STRIDE = 4;
const HASH = 0;
const VERSION = 1;
const COUNT = 2;
const POSITION = 3;

// Shared by every empty ring: nothing is written to it, since the first push grows the ring.
const NO_SLOTS = new Float64Array(0);

// A ring buffer: `size` entries ending just before `next`. Its methods live on one shared
// prototype, not in closures made per ring: there is one ring per live aggregate.
type Ring = RecentCommits & {
  limit: number;
  capacity: number;
  slots: Float64Array;
  next: number;
  size: number;
};

function slotAt(ring: Ring, k: number): number {
  return ((ring.next - ring.size + k + ring.capacity) % ring.capacity) * STRIDE;
}

function grow(ring: Ring): void {
  const bigger = Math.min(ring.limit, Math.max(INITIAL_CAPACITY, ring.capacity * 2));
  const slots = new Float64Array(bigger * STRIDE);
  const old = ring.slots;
  for (let k = 0; k < ring.size; k++) {
    const from = slotAt(ring, k);
    for (let f = 0; f < STRIDE; f++) slots[k * STRIDE + f] = old[from + f]!;
  }
  ring.slots = slots;
  ring.capacity = bigger;
  ring.next = ring.size % bigger;
}

function push(ring: Ring, hash: number, version: number, count: number, position: number): void {
  if (ring.limit <= 0) return;
  if (ring.size === ring.capacity && ring.capacity < ring.limit) grow(ring);
  const at = ring.next * STRIDE;
  const slots = ring.slots;
  slots[at + HASH] = hash;
  slots[at + VERSION] = version;
  slots[at + COUNT] = count;
  slots[at + POSITION] = position;
  ring.next = (ring.next + 1) % ring.capacity;
  if (ring.size < ring.capacity) ring.size++;
}

// Slots fill from 0 before the ring wraps, so slots 0..size-1 are exactly the live entries.
function find(ring: Ring, hash: number): CommitRef | undefined {
  const slots = ring.slots;
  const end = ring.size * STRIDE;
  for (let at = 0; at < end; at += STRIDE) {
    if (slots[at + HASH] === hash) return { version: slots[at + VERSION]!, count: slots[at + COUNT]!, position: slots[at + POSITION]! };
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

const ringMethods: RecentCommits & ThisType<Ring> = {
  find(hash) {
    return find(this, hash);
  },
  add(hash, version, count, position) {
    push(this, hash, version, count, position);
  },
  addEnvelopes(envelopes) {
    addEnvelopes(this, envelopes);
  },
  entries() {
    return Array.from({ length: this.size }, (_, k) => {
      const at = slotAt(this, k);
      const slots = this.slots;
      return [slots[at + HASH]!, slots[at + VERSION]!, slots[at + COUNT]!, slots[at + POSITION]!] as const;
    });
  },
  addEntries(entries) {
    for (const [hash, version, count, position] of entries) push(this, hash, version, count, position);
  },
  clear() {
    this.next = 0;
    this.size = 0;
  },
};

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
  const ring = Object.create(ringMethods) as Ring;
  ring.limit = limit;
  ring.capacity = 0;
  ring.slots = NO_SLOTS;
  ring.next = 0;
  ring.size = 0;
  return ring;
}
