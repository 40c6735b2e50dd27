import type { CommandDecision, Commit, DomainEvent, EventEnvelope, EventLog, RefuseOptions, Snapshot, SnapshotStore } from '../eventLog/eventLog.js';
import { readAllFromBatches } from '../eventLog/readAllFromBatches.js';
import type { EventCatalog } from './eventCatalog.js';
import type { KeyStore } from './keyStore.js';
import { currentEnvelope, readEvent, type KeyLookup } from './readEvent.js';
import { createSubjectKeys } from './subjectKeys.js';
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
   * at once; one made by another process is seen here by reads within this time, and by writes
   * once the background re-read it starts has answered. Default 2000.
   */
  readonly keyCacheMs?: number;
  /** How many subjects' keys are cached (least recently used first out). Default 100,000. */
  readonly keyCacheSize?: number;
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
  const subjectKeys = createSubjectKeys({ keys, ttlMs: options.keyCacheMs ?? 2000, max: options.keyCacheSize ?? 100_000 });
  const { loadKeys, writeKey, keyFor } = subjectKeys;
  const tags = catalog.snapshotTags;

  const evolveAll = (envelopes: readonly EventEnvelope[], keyOf: KeyLookup): EventEnvelope[] => envelopes.map((e) => readEvent(catalog, e, keyOf));
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
  const readOrPoison = (e: EventEnvelope, keyOf: KeyLookup): EventEnvelope => {
    try {
      return readEvent(catalog, e, keyOf);
    } catch (err) {
      return poisoned(e, err);
    }
  };
  // Called for every commit of every catch-up: the events array is copied only from the first
  // event that changes, and the commit is rebuilt in the engines' own shape (a spread is slower).
  const evolveCommit = (commit: Commit, keyOf: KeyLookup): Commit => {
    const stored = commit.events;
    let events: EventEnvelope[] | undefined;
    for (let i = 0; i < stored.length; i++) {
      const out = readOrPoison(stored[i]!, keyOf);
      if (out !== stored[i]) events ??= stored.slice(0, i);
      events?.push(out);
    }
    if (events === undefined) return commit;
    const evolved: { -readonly [K in keyof Commit]: Commit[K] } = {
      position: commit.position,
      aggregate: commit.aggregate,
      id: commit.id,
      version: commit.version,
      timestamp: commit.timestamp,
      commandId: commit.commandId,
      correlationId: commit.correlationId,
      causationId: commit.causationId,
      events,
    };
    if (commit.traceparent !== undefined) evolved.traceparent = commit.traceparent;
    return evolved;
  };
  const commitEvents = function* (batch: readonly Commit[]) {
    for (const c of batch) yield* c.events;
  };

  const readBatches: EventLog['readBatches'] = (o) => ({
    async *[Symbol.asyncIterator]() {
      for await (const batch of log.readBatches(o)) {
        const keyOf = await loadKeys(commitEvents(batch));
        yield batch.map((c) => evolveCommit(c, keyOf));
      }
    },
  });

  // The stored form of a command's events. Synchronous while every subject's key is cached, as
  // it is for most commands (the key was used a moment ago): no await on the write path then.
  const storedForm = (aggregate: string, id: string, commandId: string, events: readonly DomainEvent[]): DomainEvent[] | Promise<DomainEvent[]> => {
    const out: DomainEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const rule = catalog.rule(aggregate, e.type);
      const subject = subjectOf(rule, aggregate, id, e);
      const key = subject === undefined ? undefined : writeKey(subject);
      if (subject !== undefined && key === undefined) return storedFormAfterKeys(aggregate, id, commandId, events);
      out.push(writeEvent(rule, aggregate, id, `${commandId}/${i}`, e, subject, key));
    }
    return out;
  };
  const storedFormAfterKeys = async (aggregate: string, id: string, commandId: string, events: readonly DomainEvent[]): Promise<DomainEvent[]> => {
    const out: DomainEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const rule = catalog.rule(aggregate, e.type);
      const subject = subjectOf(rule, aggregate, id, e);
      const key = subject === undefined ? undefined : (writeKey(subject) ?? (await keyFor(subject)));
      out.push(writeEvent(rule, aggregate, id, `${commandId}/${i}`, e, subject, key));
    }
    return out;
  };

  // The appends of one microtask wave are sealed together, one after the other: node:crypto's
  // cipher set-up interleaved with the rest of each command runs with cold caches, and both the
  // seals and the commands around them took several times longer (W1: about 50 µs a command).
  let wave: { run: () => DomainEvent[] | Promise<DomainEvent[]>; resolve: (stored: DomainEvent[] | Promise<DomainEvent[]>) => void; reject: (err: unknown) => void }[] = [];
  const sealWave = () => {
    const taken = wave;
    wave = [];
    for (const job of taken) {
      try {
        job.resolve(job.run());
      } catch (err) {
        job.reject(err);
      }
    }
  };
  const sealInWave = (run: () => DomainEvent[] | Promise<DomainEvent[]>) =>
    new Promise<DomainEvent[]>((resolve, reject) => {
      if (wave.length === 0) queueMicrotask(sealWave);
      wave.push({ run, resolve, reject });
    });

  const currentDecision = async (first: CommandDecision): Promise<CommandDecision> => {
    if (first.kind !== 'commit') return first;
    const keyOf = await loadKeys(first.result.events);
    return { kind: 'commit', result: { ...first.result, events: evolveAll(first.result.events, keyOf) } };
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

  return {
    engine: log.engine,
    ...(log.exclusiveWriter !== undefined && { exclusiveWriter: log.exclusiveWriter }),
    async append(aggregate, id, events, appendOptions) {
      const form = catalog.personalAggregates.has(aggregate)
        ? sealInWave(() => storedForm(aggregate, id, appendOptions.commandId, events))
        : storedForm(aggregate, id, appendOptions.commandId, events);
      const stored = Array.isArray(form) ? form : await form;
      const result = await log.append(aggregate, id, stored, appendOptions);
      if (result.duplicate) return { ...result, events: evolveAll(result.events, await loadKeys(result.events)) };
      // The caller's events are the plaintext of what was sealed: no need to open them again.
      const envelopes = result.events.map((envelope, i) =>
        stored[i] === events[i] || envelope.sealed === undefined ? envelope : currentEnvelope(envelope, envelope.type, events[i]!.data, envelope.schemaVersion, undefined),
      );
      return { ...result, events: envelopes };
    },
    async readStream(aggregate, id, o) {
      const envelopes = await log.readStream(aggregate, id, o);
      return evolveAll(envelopes, await loadKeys(envelopes));
    },
    // A commandId's first decision, with a commit's events read as current ones like every other read.
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
      await subjectKeys.forget(subject);
    },
    close: () => log.close(),
  };
}
