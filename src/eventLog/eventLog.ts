import type { Observable } from 'rxjs';
import type { AlreadyRefusedError } from './alreadyRefusedError.js';

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

/**
 * A decision on a commandId that wrote no events (for the write side, a rejection), stored so
 * that every later answer to that commandId is this one. The log keeps `answer` as it was given
 * (msgpack) and knows nothing of its meaning.
 *
 * @example
 * ```ts
 * const refusal: Refusal = { aggregate: 'Account', id: 'a-1', commandId: 'c-9', timestamp: Date.now(), answer: { code: 'rejected', message: 'no funds' } };
 * ```
 */
export type Refusal = {
  readonly aggregate: string;
  readonly id: string;
  readonly commandId: string;
  readonly timestamp: number;
  readonly answer: unknown;
};

/**
 * The first decision the log holds for a commandId: the commit it produced (as a repeated append
 * returns it, `duplicate: true`) or the refusal stored for it.
 *
 * @example
 * ```ts
 * const first = await log.firstDecision?.('c-9');
 * if (first?.kind === 'refusal') console.log(first.refusal.answer);
 * ```
 */
export type CommandDecision =
  | { readonly kind: 'commit'; readonly result: AppendResult }
  | { readonly kind: 'refusal'; readonly refusal: Refusal };

/** Options of {@link EventLog.refuse}. */
export type RefuseOptions = {
  readonly commandId: string;
  /** Milliseconds since the epoch; defaults to `Date.now()`. */
  readonly timestamp?: number;
};

/** Options of {@link EventLog.readStream}. */
export type ReadStreamOptions = {
  /** First version to return (inclusive). Default 1. */
  readonly fromVersion?: number;
  /**
   * Last version to return (inclusive). Default: up to the head. A reader that wants one known
   * commit (a retried command's) stops there instead of reading to the head.
   */
  readonly toVersion?: number;
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
   * The first decision on `commandId`: its commit, or the refusal {@link EventLog.refuse} stored;
   * `undefined` when the log knows none (never decided, or, on NATS, decided before the duplicate
   * window). Writes nothing. Both engines implement it; a wrapper may leave it out, and then a
   * retry the host no longer remembers is decided again.
   */
  firstDecision?(commandId: string): Promise<CommandDecision | undefined>;
  /**
   * Stores a refusal for `commandId` unless the commandId is decided already, in the same dedupe
   * as appends, so a commandId gets one decision whichever comes first. Returns the first decision:
   * this refusal, or the earlier commit or refusal (whose `answer` wins over this one). A later
   * append with this commandId throws {@link AlreadyRefusedError}, writing nothing. Refusals are
   * not commits: readers never see them and they take no position readers wait for.
   */
  refuse?(aggregate: string, id: string, answer: unknown, options: RefuseOptions): Promise<CommandDecision>;
  readonly snapshots: SnapshotStore;
  /** Releases resources; pending appends finish first. Idempotent. */
  close(): Promise<void>;
};
