/**
 * What the JetStream engine remembers about one aggregate (keyed by its event subject):
 * - its head: the version and the stream sequence of its last commit (`known` false until learnt);
 * - its append queue: appends to one aggregate run one after another, because each needs the
 *   sequence the previous one got (`busy` appends queued, `tail` the last of them);
 * - a snapshot hint: the (version, position) of the last snapshot loaded or saved (`hintSeq` -1
 *   when there is none), where a tail read may start.
 *
 * The head is only a hint: JetStream refuses a stale sequence (10071), and the engine then looks
 * it up again. Entries are mutated in place, so the hot path is one Map lookup.
 *
 * @example
 * ```ts
 * const entry = heads.entry('tributary.evt.Account.a-1');
 * if (!entry.known) learnFromLookup(entry);
 * ```
 */
export type StreamHead = {
  version: number;
  seq: number;
  known: boolean;
  busy: number;
  tail: Promise<unknown> | undefined;
  hintVersion: number;
  hintSeq: number;
};

/**
 * A bounded map from an aggregate's event subject (`<prefix>.evt.<Aggregate>.<id>`) to its
 * {@link StreamHead}.
 *
 * @example
 * ```ts
 * const heads = createStreamHeads(100_000);
 * heads.learn('tributary.evt.Account.a-1', 1, 7);
 * heads.get('tributary.evt.Account.a-1'); // { version: 1, seq: 7, known: true, ... }
 * ```
 */
export type StreamHeads = {
  get(key: string): StreamHead | undefined;
  /** The entry of `key`, created (unknown) if missing. */
  entry(key: string): StreamHead;
  /** Records a head read from JetStream, unless a later one is already known. */
  learn(key: string, version: number, seq: number): StreamHead;
  readonly size: number;
};

/**
 * Moves a head to (version, seq), unless it already knows a later sequence: a slow read that
 * started before an append must not roll the head back.
 *
 * @example
 * ```ts
 * advanceHead(head, result.version, result.position);
 * ```
 */
export function advanceHead(head: StreamHead, version: number, seq: number): void {
  if (!head.known || seq >= head.seq) {
    head.version = version;
    head.seq = seq;
    head.known = true;
  }
}

// How many of the oldest entries eviction looks at to find one with no queued append.
const EVICTION_SCAN = 16;

/**
 * Creates a {@link StreamHeads} of about `capacity` entries. When full, the oldest entry with no
 * queued append is dropped (insertion order: rewriting a Map entry per append to keep strict LRU
 * order measured as a visible share of an append's CPU). Entries with queued appends are never
 * dropped, so the per-aggregate order always holds.
 *
 * @example
 * ```ts
 * const heads = createStreamHeads(10_000);
 * ```
 */
export function createStreamHeads(capacity: number): StreamHeads {
  const map = new Map<string, StreamHead>();

  const evict = () => {
    let scanned = 0;
    for (const [key, head] of map) {
      if (map.size <= capacity || scanned++ >= EVICTION_SCAN) return;
      if (head.busy === 0) map.delete(key);
    }
  };

  const entry = (key: string): StreamHead => {
    let head = map.get(key);
    if (head === undefined) {
      head = { version: 0, seq: 0, known: false, busy: 0, tail: undefined, hintVersion: 0, hintSeq: -1 };
      map.set(key, head);
      if (map.size > capacity) evict();
    }
    return head;
  };

  return {
    get: (key) => map.get(key),
    entry,
    learn(key, version, seq) {
      const head = entry(key);
      advanceHead(head, version, seq);
      return head;
    },
    get size() {
      return map.size;
    },
  };
}
