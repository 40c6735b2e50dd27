import type { CommandDecision, Commit, DomainEvent, EventEnvelope, EventLog, RefuseOptions, Snapshot, SnapshotStore } from '../eventLog/eventLog.js';
import { readAllFromBatches } from '../eventLog/readAllFromBatches.js';
import type { EventCatalog } from './eventCatalog.js';
import type { KeyStore } from './keyStore.js';
import { currentEnvelope, readEvent } from './readEvent.js';
import type { SubjectKey } from './sealFields.js';
import { subjectOf, writeEvent } from './writeEvent.js';

/**
 * Options of {@link createEvolvingLog}.
 *
 * @example
 * ```ts
 * const options: EvolvingLogOptions = { log, catalog: createEventCatalog([Customer]), keys: createLmdbKeyStore({ path }) };
 * ```
 */
export type EvolvingLogOptions = {
  readonly log: EventLog;
  readonly catalog: EventCatalog;
  /** Required when the catalog has personal fields. */
  readonly keys?: KeyStore;
  /**
   * How long a key read from the store is trusted, in ms. A `forget` in this process takes effect
   * at once; one made by another process is seen here within this time. Default 2000.
   */
  readonly keyCacheMs?: number;
};

/**
 * The event log as the rest of an app sees it: current events on every read, stored events on
 * every write. Reads go through {@link readEvent} (open sealed fields, upcast, check), appends
 * through {@link writeEvent} (stamp the version, seal personal fields). Aggregate snapshots are
 * tagged with the event versions they were taken under, and one taken under other versions is
 * ignored (the aggregate then replays through the upcasters).
 *
 * A poison event makes `readStream` reject with its `CodecError`. In `readAll` and `readBatches`
 * it is delivered with a `data` that throws that error when read: a projection consuming it stops
 * there as on a handler error (then `retry()` or `skip()`), and readers that do not consume it
 * go on.
 *
 * @example
 * ```ts
 * const log = createEvolvingLog({ log: raw, catalog, keys });
 * const events = await log.readStream('Customer', 'c-1'); // upcast, personal fields opened
 * await log.forget('c-1');
 * ```
 */
export type EvolvingLog = EventLog & {
  /** Deletes the subject's key: its personal fields read as `null` from now on. Idempotent. */
  forget(subject: string): Promise<void>;
};

type Cached = { readonly key: SubjectKey | undefined; readonly at: number };

/**
 * Wraps a log with the app's event catalog and key store (see {@link EvolvingLog}).
 *
 * @example
 * ```ts
 * const log = createEvolvingLog({ log: await createLmdbEventLog({ path }), catalog, keys });
 * ```
 */
export function createEvolvingLog(options: EvolvingLogOptions): EvolvingLog {
  const { log, catalog, keys } = options;
  const ttl = options.keyCacheMs ?? 2000;
  const cache = new Map<string, Cached>();
  const tags = catalog.snapshotTags;

  const fresh = (subject: string): Cached | undefined => {
    const c = cache.get(subject);
    return c !== undefined && performance.now() - c.at < ttl ? c : undefined;
  };
  const remember = (subject: string, key: SubjectKey | undefined) => {
    cache.set(subject, { key, at: performance.now() });
    // Bounded: a log read end to end touches every subject once.
    if (cache.size > 100_000) cache.delete(cache.keys().next().value!);
  };
  const keyOf = (subject: string) => cache.get(subject)?.key;

  // Loads the keys of the sealed events into the cache, so that reading them is synchronous.
  const loadKeys = async (envelopes: Iterable<EventEnvelope>): Promise<void> => {
    if (keys === undefined) return;
    let wanted: Set<string> | undefined;
    for (const e of envelopes) {
      if (e.sealed !== undefined && fresh(e.sealed.subject) === undefined) (wanted ??= new Set()).add(e.sealed.subject);
    }
    if (wanted === undefined) return;
    await Promise.all([...wanted].map(async (s) => remember(s, await keys.get(s))));
  };

  const evolveAll = (envelopes: readonly EventEnvelope[]): EventEnvelope[] => envelopes.map((e) => readEvent(catalog, e, keyOf));
  // In a commit feed a poison event must stop only the readers that consume it, where a handler
  // error would (so that retry and skip apply): its `data` throws the poison error when read.
  const poisoned = (e: EventEnvelope, err: unknown): EventEnvelope => {
    const { sealed: _sealed, data: _data, ...rest } = e;
    const type = catalog.rule(e.aggregate, e.type)?.type ?? e.type;
    return Object.defineProperty({ ...rest, type }, 'data', {
      enumerable: true,
      get() {
        throw err;
      },
    }) as EventEnvelope;
  };
  const readOrPoison = (e: EventEnvelope): EventEnvelope => {
    try {
      return readEvent(catalog, e, keyOf);
    } catch (err) {
      return poisoned(e, err);
    }
  };
  const evolveCommit = (commit: Commit): Commit => {
    let changed = false;
    const events = commit.events.map((e) => {
      const out = readOrPoison(e);
      if (out !== e) changed = true;
      return out;
    });
    return changed ? { ...commit, events } : commit;
  };
  const commitEvents = function* (batch: readonly Commit[]) {
    for (const c of batch) yield* c.events;
  };

  const readBatches: EventLog['readBatches'] = (o) => ({
    async *[Symbol.asyncIterator]() {
      for await (const batch of log.readBatches(o)) {
        await loadKeys(commitEvents(batch));
        yield batch.map(evolveCommit);
      }
    },
  });

  const keyFor = async (subject: string): Promise<SubjectKey> => {
    const known = fresh(subject)?.key;
    if (known !== undefined) return known;
    const key = await keys!.getOrCreate(subject);
    remember(subject, key);
    return key;
  };

  const storedForm = async (aggregate: string, id: string, commandId: string, events: readonly DomainEvent[]): Promise<DomainEvent[]> => {
    const out: DomainEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const subject = subjectOf(catalog, aggregate, id, e);
      // A cached key costs no await: most commands seal with a key used a moment ago.
      const key = subject === undefined ? undefined : (fresh(subject)?.key ?? (await keyFor(subject)));
      out.push(writeEvent(catalog, aggregate, id, `${commandId}/${i}`, e, key));
    }
    return out;
  };

  const snapshots: SnapshotStore = {
    async load(aggregate, id) {
      const snapshot = await log.snapshots.load(aggregate, id);
      const tag = tags.get(aggregate);
      if (snapshot === undefined || tag === undefined) return snapshot;
      const state = snapshot.state as { eventSchemas?: unknown; state?: unknown } | null;
      // Taken under other event versions (or before versioning): ignored, so the state is replayed through the upcasters.
      if (state === null || typeof state !== 'object' || state.eventSchemas !== tag) return undefined;
      return { version: snapshot.version, position: snapshot.position, state: state.state };
    },
    save(aggregate, id, snapshot: Snapshot) {
      const tag = tags.get(aggregate);
      if (tag === undefined) return log.snapshots.save(aggregate, id, snapshot);
      return log.snapshots.save(aggregate, id, { ...snapshot, state: { eventSchemas: tag, state: snapshot.state } });
    },
  };

  // A commandId's first commit, with its events read as current ones like every other read.
  const currentDecision = async (first: CommandDecision): Promise<CommandDecision> => {
    if (first.kind !== 'commit') return first;
    await loadKeys(first.result.events);
    return { kind: 'commit', result: { ...first.result, events: evolveAll(first.result.events) } };
  };

  return {
    engine: log.engine,
    ...(log.exclusiveWriter !== undefined && { exclusiveWriter: log.exclusiveWriter }),
    async append(aggregate, id, events, appendOptions) {
      const stored = await storedForm(aggregate, id, appendOptions.commandId, events);
      const result = await log.append(aggregate, id, stored, appendOptions);
      if (result.duplicate) {
        await loadKeys(result.events);
        return { ...result, events: evolveAll(result.events) };
      }
      // The caller's events are the plaintext of what was sealed: no need to open them again.
      const envelopes = result.events.map((envelope, i) =>
        stored[i] === events[i] || envelope.sealed === undefined ? envelope : currentEnvelope(envelope, envelope.type, events[i]!.data, envelope.schemaVersion, undefined),
      );
      return { ...result, events: envelopes };
    },
    async readStream(aggregate, id, o) {
      const envelopes = await log.readStream(aggregate, id, o);
      await loadKeys(envelopes);
      return evolveAll(envelopes);
    },
    ...(log.firstDecision !== undefined && {
      async firstDecision(commandId: string) {
        const first = await log.firstDecision!(commandId);
        return first === undefined ? undefined : currentDecision(first);
      },
    }),
    ...(log.refuse !== undefined && {
      async refuse(aggregate: string, id: string, answer: unknown, refuseOptions: RefuseOptions) {
        return currentDecision(await log.refuse!(aggregate, id, answer, refuseOptions));
      },
    }),
    readAll: (o) => readAllFromBatches(readBatches, o),
    readBatches,
    headPosition: () => log.headPosition(),
    snapshots,
    async forget(subject) {
      if (keys === undefined) return;
      await keys.forget(subject);
      remember(subject, undefined);
    },
    close: () => log.close(),
  };
}
