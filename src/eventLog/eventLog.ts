import type { Observable } from 'rxjs';

/**
 * A domain event as an aggregate emits it: a fact, named in the past tense.
 *
 * @example
 * ```ts
 * const e: DomainEvent<'Deposited', { amount: number }> = { type: 'Deposited', data: { amount: 10 } };
 * ```
 */
export type DomainEvent<Type extends string = string, Data = unknown> = {
  readonly type: Type;
  readonly data: Data;
  /** Schema version of `data`, stored with the event; absent means 1 (see "Evolving events"). */
  readonly schemaVersion?: number;
  /** Personal fields taken out of `data` and encrypted with their data subject's key; only the stored form has it. */
  readonly sealed?: SealedFields;
};

/**
 * Personal fields of a stored event, encrypted (AES-256-GCM) with the key of their data subject.
 * The log stores them as given; sealing and opening happen above the log.
 *
 * @example
 * ```ts
 * const sealed: SealedFields = { subject: 'c-1', keyId: 'k1', fields: ['name', 'email'], box: new Uint8Array(40) };
 * ```
 */
export type SealedFields = {
  readonly subject: string;
  /** Which of the subject's keys sealed them: a key created after a `forget` has another id. */
  readonly keyId: string;
  /** Names of the sealed fields (names are not personal data; values are). */
  readonly fields: readonly string[];
  /** 12-byte IV, ciphertext, 16-byte tag. */
  readonly box: Uint8Array;
};

/**
 * A stored event: the domain event plus where and why it was written.
 * All events of one commit share `position`, `timestamp`, `commandId`, `correlationId` and
 * `causationId`; `version` counts the aggregate's events from 1.
 * `eventId` is `<commandId>/<index in commit>`: deterministic, so replays and both engines agree.
 *
 * @example
 * ```ts
 * log.readAll().subscribe((commit) => commit.events.forEach((e) => console.log(e.type, e.version, e.position)));
 * ```
 */
export type EventEnvelope<E extends DomainEvent = DomainEvent> = E & {
  readonly eventId: string;
  readonly aggregate: string;
  readonly id: string;
  readonly version: number;
  readonly position: number;
  readonly timestamp: number;
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  /** Personal fields whose subject was forgotten: they read as `null` (see "Personal data"). */
  readonly erased?: readonly string[];
};

/**
 * All events that one command produced, appended atomically as one record.
 * `version` is the aggregate's version after the commit (the last event's version).
 *
 * @example
 * ```ts
 * log.readAll({ fromPosition: checkpoint + 1 }).subscribe((c) => apply(c.events, c.position));
 * ```
 */
export type Commit = {
  readonly position: number;
  readonly aggregate: string;
  readonly id: string;
  readonly version: number;
  readonly timestamp: number;
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  /** W3C trace context of the command that wrote it, when it was traced. */
  readonly traceparent?: string;
  readonly events: readonly EventEnvelope[];
};

/**
 * Options of {@link EventLog.append}.
 *
 * @example
 * ```ts
 * await log.append('Account', 'a-1', [{ type: 'Deposited', data: { amount: 5 } }], { expectedVersion: 1, commandId: 'c-2' });
 * ```
 */
export type AppendOptions = {
  /** The aggregate's version the caller saw; 0 means "must not exist yet". Omitted: no check. */
  readonly expectedVersion?: number;
  /** Idempotency key: the same commandId appended again returns the first result, writing nothing. */
  readonly commandId: string;
  /** Defaults to `commandId`. */
  readonly correlationId?: string;
  /** Defaults to `commandId`. */
  readonly causationId?: string;
  /** Milliseconds since the epoch; defaults to `Date.now()` at append. */
  readonly timestamp?: number;
  /** W3C `traceparent` of the span that wrote it, stored with the commit so readers can link to it. */
  readonly traceparent?: string | undefined;
};

/**
 * What {@link EventLog.append} returns. `duplicate` is true when the commandId had been appended
 * before: then version, position and events are the FIRST commit's, and nothing was written.
 *
 * @example
 * ```ts
 * const { version, position, duplicate } = await log.append('Account', 'a-1', events, { commandId });
 * ```
 */
export type AppendResult = {
  readonly version: number;
  readonly position: number;
  readonly events: readonly EventEnvelope[];
  readonly duplicate: boolean;
};

/** Options of {@link EventLog.readStream}. */
export type ReadStreamOptions = {
  /** First version to return (inclusive). Default 1. */
  readonly fromVersion?: number;
};

/** Options of {@link EventLog.readAll} and {@link EventLog.readBatches}. */
export type ReadAllOptions = {
  /** First position to deliver (inclusive). Default 1, the start of the log. */
  readonly fromPosition?: number;
  /** true (default): after catching up, keep delivering new commits. false: complete at the head. */
  readonly live?: boolean;
};

/** Options of {@link EventLog.readBatches}. */
export type ReadBatchesOptions = ReadAllOptions & {
  /** Most commits in one batch. Default 1000. */
  readonly maxBatch?: number;
  /** Aborting ends the iteration promptly, even while it waits for new commits. */
  readonly signal?: AbortSignal;
};

/**
 * A persisted aggregate snapshot: opaque state reflecting the aggregate up to `version`.
 * Snapshots only ever change speed, never results.
 *
 * @example
 * ```ts
 * await log.snapshots.save('Account', 'a-1', { version: 100, position: 5123, state: actor.getPersistedSnapshot() });
 * ```
 */
export type Snapshot = {
  readonly version: number;
  readonly position: number;
  readonly state: unknown;
};

/**
 * Where aggregate snapshots live: LMDB for the embedded engine, a JetStream KV bucket on NATS.
 *
 * @example
 * ```ts
 * const snap = await log.snapshots.load('Account', 'a-1');
 * const events = await log.readStream('Account', 'a-1', { fromVersion: (snap?.version ?? 0) + 1 });
 * ```
 */
export type SnapshotStore = {
  load(aggregate: string, id: string): Promise<Snapshot | undefined>;
  save(aggregate: string, id: string, snapshot: Snapshot): Promise<void>;
};

/** Which engine a log runs on. */
export type EngineName = 'embedded' | 'nats';

/**
 * The event log contract. Both engines implement it and pass the same conformance suite
 * (`describeEventLog`). The log knows aggregate names and ids as strings only.
 *
 * @example
 * ```ts
 * const log = await createLmdbEventLog({ path: './data/log' });
 * const r = await log.append('Account', 'a-1', [{ type: 'AccountOpened', data: { owner: 'Ada' } }],
 *   { expectedVersion: 0, commandId: 'c-1' });
 * const events = await log.readStream('Account', 'a-1');
 * ```
 */
export type EventLog = {
  readonly engine: EngineName;
  /**
   * True when no other process can append to this log while this instance appends (the embedded
   * log holds a writer lock). Then a writer's in-memory view of an aggregate can only be changed
   * by itself, and it may skip re-reading the stream before answering without an append.
   */
  readonly exclusiveWriter?: boolean;
  /**
   * Appends one commit atomically. Throws `ConcurrencyError` (nothing written) when
   * `expectedVersion` is given and differs; returns the first result for a repeated commandId;
   * throws `ValidationError` for an invalid aggregate name or id, or an empty event list.
   */
  append(aggregate: string, id: string, events: readonly DomainEvent[], options: AppendOptions): Promise<AppendResult>;
  /** The aggregate's events in version order. An unknown aggregate has none. */
  readStream(aggregate: string, id: string, options?: ReadStreamOptions): Promise<EventEnvelope[]>;
  /** Commits in position order from `fromPosition`: catches up, then (live) follows, with no gap or duplicate. */
  readAll(options?: ReadAllOptions): Observable<Commit>;
  /**
   * Pull-based read for consumers that must bound memory: the next batch is read only when the
   * consumer asks for it. Non-empty batches, in position order, no gap or duplicate.
   */
  readBatches(options?: ReadBatchesOptions): AsyncIterable<readonly Commit[]>;
  /** Position of the last commit, 0 when the log is empty. */
  headPosition(): Promise<number>;
  /**
   * The result of the commit `commandId` produced (as a repeated append would return it, with
   * `duplicate: true`), or `undefined` when the log does not know it: never appended, or, on NATS,
   * appended before the duplicate window. Writes nothing. Both engines implement it; a wrapper may
   * leave it out, and then a retry the host no longer remembers is decided again.
   */
  commandResult?(commandId: string): Promise<AppendResult | undefined>;
  readonly snapshots: SnapshotStore;
  /** Releases resources; pending appends finish first. Idempotent. */
  close(): Promise<void>;
};
