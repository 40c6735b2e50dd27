import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { ClosedError, ConcurrencyError, ConfigError, InternalError, ValidationError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { probed, type StageProbe } from '../../logging/stageProbe.js';
import { decodeCommitRecord, encodeCommitRecordTransient, toCommit, toEnvelopes, type CommitRecord } from '../commitRecord.js';
import { AlreadyRefusedError } from '../alreadyRefusedError.js';
import type {
  AppendOptions,
  AppendResult,
  Commit,
  CommandDecision,
  DomainEvent,
  EventEnvelope,
  EventLog,
  ReadBatchesOptions,
  ReadStreamOptions,
  Refusal,
  RefuseOptions,
  Snapshot,
  SnapshotStore,
} from '../eventLog.js';
import { readAllFromBatches } from '../readAllFromBatches.js';
import { validateAppend, validateRefusal } from '../validateAppend.js';
import { acquireWriterLock, type WriterLock } from './writerLock.js';

/**
 * Options of {@link createLmdbEventLog}.
 *
 * @example
 * ```ts
 * const log = await createLmdbEventLog({ path: './data/log', pollIntervalMs: 50 });
 * ```
 */
export type LmdbEventLogOptions = {
  /** Directory of the LMDB environment; created if missing. */
  path: string;
  logger?: Logger;
  /**
   * Live readers are woken at once by appends in this process. Appends by another process on the
   * same directory are noticed by polling at this interval. Default 100 ms.
   */
  pollIntervalMs?: number;
  /** LMDB map size in bytes (it grows on demand). */
  mapSize?: number;
  /** When an append is acknowledged; see {@link LmdbDurability}. Default `'committed'`. */
  durability?: LmdbDurability;
  /** Diagnostics: times the encode and append stages (the bench's budget). Leave unset. */
  probe?: StageProbe;
};

/**
 * When the embedded log acknowledges an append. Both are crash-consistent: LMDB's copy-on-write
 * pages and meta pointers mean that no crash, of the process or of the machine, can corrupt the
 * log or leave half a commit.
 * - `'committed'` (the default): once the commit is in LMDB (visible to every reader; on Linux,
 *   lmdb-js's `overlappingSync` then fsyncs it in the background, overlapping the next
 *   transactions). A process crash loses nothing acknowledged; a power loss or OS crash may lose
 *   the commits of the last moments (those whose fsync had not finished, usually milliseconds),
 *   as PostgreSQL's `synchronous_commit = off` may.
 * - `'flushed'`: once the commit is also fsynced to disk (`db.flushed`). Nothing acknowledged is
 *   lost even on power loss; each append waits for a disk flush, which concurrent appends share.
 *
 * @example
 * ```ts
 * const log = await createLmdbEventLog({ path: './data/log', durability: 'flushed' });
 * ```
 */
export type LmdbDurability = 'committed' | 'flushed';


// The commands index's mark for a refused commandId: positions start at 1.
const REFUSED = 0;
const LAST_REFUSAL = 'lastRefusal';

/**
 * Heads kept in memory; past this, the least recently written are read back from LMDB (one range
 * read inside the write transaction). Twice the registry's default `maxActors`: the aggregates
 * being written are the live ones, and each cached head costs about 100 bytes of heap, which a
 * million aggregates touched once each would otherwise keep at its bound.
 */
const HEAD_CACHE_SIZE = 20_000;

type AppendOutcome =
  | { kind: 'ok'; version: number; position: number; record: CommitRecord }
  | { kind: 'duplicate'; position: number; record: CommitRecord }
  | { kind: 'refused'; refusal: Refusal }
  | { kind: 'conflict'; actual: number }
  | { kind: 'unencodable'; error: unknown };

/**
 * Opens the embedded event log: an LMDB environment on disk, no server needed.
 *
 * Each append is one LMDB write-transaction callback: the command-id dedupe, the expected-version
 * check, the position and the writes happen together, atomically. lmdb-js batches the callbacks
 * of one event turn into a single commit, which is what makes thousands of concurrent appends
 * cheap. One process writes: the first append takes `writer.lock` in the directory (a lock left
 * by a dead process is taken over); other processes may open the same directory to read.
 *
 * @example
 * ```ts
 * const log = await createLmdbEventLog({ path: './data/log' });
 * const { version, position } = await log.append('Account', 'a-1',
 *   [{ type: 'AccountOpened', data: { owner: 'Ada' } }], { expectedVersion: 0, commandId: 'c-1' });
 * log.readAll({ fromPosition: 1 }).subscribe((commit) => console.log(commit.position, commit.events));
 * await log.close();
 * ```
 */
export async function createLmdbEventLog(options: LmdbEventLogOptions): Promise<EventLog> {
  const durability = options.durability ?? 'committed';
  if (durability !== 'committed' && durability !== 'flushed') {
    throw new ConfigError(`durability must be 'committed' or 'flushed', got ${JSON.stringify(durability)}`);
  }
  mkdirSync(options.path, { recursive: true });
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const root: RootDatabase = open({ path: options.path, ...(options.mapSize ? { mapSize: options.mapSize } : {}) });
  // position -> commit record bytes (the same msgpack as a JetStream message body)
  const commits: Database<Uint8Array, number> = root.openDB({ name: 'commits', encoding: 'binary' });
  // [aggregate, id, version after commit] -> position
  const streams: Database<number, [string, string, number]> = root.openDB({ name: 'streams', encoding: 'ordered-binary' });
  // commandId -> position of the commit it produced, or REFUSED
  const commands: Database<number, string> = root.openDB({ name: 'commands', encoding: 'ordered-binary' });
  // commandId -> its refusal, for the commandIds marked REFUSED
  const refusals: Database<Refusal, string> = root.openDB({ name: 'refusals' });
  // LAST_REFUSAL -> the position the last refusal took, so that a restart does not give it again
  const marks: Database<number, string> = root.openDB({ name: 'marks' });
  const snapshotsDb: Database<Snapshot, [string, string]> = root.openDB({ name: 'snapshots' });

  let closed = false;
  const pending = new Set<Promise<unknown>>();
  // Wakes live readers. The promise is made only when a reader waits, and dropped by the append
  // that settles it, so that appends with no reader waiting cost nothing here.
  let wake: (() => void) | undefined;
  let appended: Promise<void> | undefined;
  const nextAppend = (): Promise<void> => (appended ??= new Promise<void>((resolve) => (wake = resolve)));
  const notify = () => {
    const w = wake;
    if (w === undefined) return;
    wake = undefined;
    appended = undefined;
    w();
  };

  const lastPosition = (): number => {
    for (const key of commits.getKeys({ reverse: true, limit: 1 })) return key;
    return 0;
  };

  // This process is the only writer (see acquireWriterLock), so the next position and the heads
  // can live in memory: fewer reads and one put less per append than keeping them in LMDB. Both
  // are only touched inside write-transaction callbacks, which run one after another in append
  // order, so they always match the transaction being built.
  let lock: WriterLock | undefined;
  let failed: Error | undefined;
  let position = 0;
  const heads = new Map<string, number>(); // least recently written first
  const headOf = (key: string, aggregate: string, id: string): number => {
    const known = heads.get(key);
    if (known !== undefined) return known;
    for (const k of streams.getKeys({ start: [aggregate, id, Number.MAX_SAFE_INTEGER], end: [aggregate, id, 0], reverse: true, limit: 1 })) {
      return k[2];
    }
    return 0;
  };
  const setHead = (key: string, version: number): void => {
    heads.delete(key);
    heads.set(key, version);
    if (heads.size > HEAD_CACHE_SIZE) heads.delete(heads.keys().next().value!);
  };

  const readCommit = (position: number): Commit | undefined => {
    const bytes = commits.get(position);
    return bytes === undefined ? undefined : toCommit(decodeCommitRecord(bytes), position);
  };

  const takeWriterLock = (): void => {
    if (lock !== undefined) return;
    lock = acquireWriterLock(options.path);
    position = Math.max(lastPosition(), marks.get(LAST_REFUSAL) ?? 0);
  };

  // The bytes are the encoder's own buffer: `putSync` copies them before anything else encodes.
  const encodeRecord = probed(options.probe, 'encode', encodeCommitRecordTransient);

  // Runs inside the write transaction. It only reads until every check has passed, so a refused
  // append writes nothing (a callback that threw after writing would leave its writes in the
  // shared batch).
  const writeCommit = probed(
    options.probe,
    'append',
    (aggregate: string, id: string, events: readonly DomainEvent[], opts: AppendOptions, timestamp: number): AppendOutcome => {
      const commandId = opts.commandId;
      const seen = commands.get(commandId);
      if (seen === REFUSED) return { kind: 'refused', refusal: refusals.get(commandId)! };
      if (seen !== undefined) {
        return { kind: 'duplicate', position: seen, record: decodeCommitRecord(commits.get(seen)!) };
      }
      const headKey = `${aggregate}\u0000${id}`;
      const head = headOf(headKey, aggregate, id);
      if (opts.expectedVersion !== undefined && opts.expectedVersion !== head) {
        return { kind: 'conflict', actual: head };
      }
      const version = head + events.length;
      const record: CommitRecord = {
        aggregate,
        id,
        version,
        commandId,
        correlationId: opts.correlationId ?? commandId,
        causationId: opts.causationId ?? commandId,
        timestamp,
        traceparent: opts.traceparent,
        events: events as DomainEvent[],
      };
      let bytes: Uint8Array;
      try {
        bytes = encodeRecord(record);
      } catch (err) {
        // Bad event data refuses this append only; the log itself is fine.
        return { kind: 'unencodable', error: err };
      }
      // Nothing may throw after the position is taken, or the log would skip one.
      const at = ++position;
      commits.putSync(at, bytes);
      streams.putSync([aggregate, id, version], at);
      commands.putSync(commandId, at);
      setHead(headKey, version);
      return { kind: 'ok', version, position: at, record };
    },
  );

  // The committed (or refused) append, as its caller sees it.
  const settle = probed(options.probe, 'append', (aggregate: string, id: string, opts: AppendOptions, outcome: AppendOutcome): AppendResult => {
    switch (outcome.kind) {
      case 'ok':
        notify();
        return { version: outcome.version, position: outcome.position, events: toEnvelopes(outcome.record, outcome.position), duplicate: false };
      case 'duplicate':
        return { version: outcome.record.version, position: outcome.position, events: toEnvelopes(outcome.record, outcome.position), duplicate: true };
      case 'refused':
        throw new AlreadyRefusedError(outcome.refusal);
      case 'unencodable':
        throw outcome.error;
      case 'conflict':
        throw new ConcurrencyError(
          `${aggregate}/${id}: expected version ${String(opts.expectedVersion)}, but it is at version ${outcome.actual}`,
          { aggregate, id, expectedVersion: opts.expectedVersion, actualVersion: outcome.actual },
        );
    }
  });

  const append = probed(options.probe, 'append', async (
    aggregate: string,
    id: string,
    events: readonly DomainEvent[],
    opts: AppendOptions,
  ): Promise<AppendResult> => {
    if (closed) throw new ClosedError('event log is closed');
    if (failed) throw new InternalError(`the event log at ${options.path} failed to commit and must be reopened: ${failed.message}`);
    validateAppend(aggregate, id, events, opts);
    takeWriterLock();
    const timestamp = opts.timestamp ?? Date.now();
    const work = root.transaction(() => writeCommit(aggregate, id, events, opts, timestamp));
    pending.add(work);
    let outcome: AppendOutcome;
    try {
      outcome = await work;
      if (durability === 'flushed' && outcome.kind === 'ok') await root.flushed;
    } catch (err) {
      // The in-memory heads and position ran ahead of a transaction that did not commit.
      failed = err instanceof Error ? err : new Error(String(err));
      throw new InternalError(`appending ${aggregate}/${id} failed; the event log must be reopened: ${failed.message}`, { aggregate, id });
    } finally {
      pending.delete(work);
    }
    return settle(aggregate, id, opts, outcome);
  });

  const readStream = async (aggregate: string, id: string, opts: ReadStreamOptions = {}): Promise<EventEnvelope[]> => {
    if (closed) throw new ClosedError('event log is closed');
    const fromVersion = opts.fromVersion ?? 1;
    const toVersion = opts.toVersion ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(fromVersion) || !Number.isSafeInteger(toVersion)) {
      throw new ValidationError(`fromVersion and toVersion must be integers, got ${String(opts.fromVersion)} and ${String(opts.toVersion)}`, {
        aggregate,
        id,
      });
    }
    const out: EventEnvelope[] = [];
    if (toVersion < fromVersion) return out;
    // Keyed by each commit's LAST version, so the commit holding `fromVersion` is included. Every
    // commit holds at least one event, so at most toVersion - fromVersion + 1 of them hold the
    // versions asked for: the scan is bounded by `limit`, not left early.
    for (const { value: position } of streams.getRange({
      start: [aggregate, id, fromVersion],
      end: [aggregate, id, Number.MAX_SAFE_INTEGER],
      ...(opts.toVersion !== undefined && { limit: toVersion - fromVersion + 1 }),
    })) {
      const commit = readCommit(position);
      if (!commit) continue;
      for (const e of commit.events) if (e.version >= fromVersion && e.version <= toVersion) out.push(e);
    }
    return out;
  };

  const headPosition = async (): Promise<number> => lastPosition();

  const decisionAt = (commandId: string, at: number | undefined): CommandDecision | undefined => {
    if (at === REFUSED) return { kind: 'refusal', refusal: refusals.get(commandId)! };
    const bytes = at === undefined ? undefined : commits.get(at);
    if (at === undefined || bytes === undefined) return undefined;
    const record = decodeCommitRecord(bytes);
    return { kind: 'commit', result: { version: record.version, position: at, events: toEnvelopes(record, at), duplicate: true } };
  };

  // The commands index is never trimmed: on this engine a commandId is decided once, forever.
  const firstDecision = async (commandId: string): Promise<CommandDecision | undefined> => {
    if (closed) throw new ClosedError('event log is closed');
    return decisionAt(commandId, commands.get(commandId));
  };

  // In a write transaction, so that it and an append of the same commandId are decided in one order.
  const refuse = async (aggregate: string, id: string, answer: unknown, opts: RefuseOptions): Promise<CommandDecision> => {
    if (closed) throw new ClosedError('event log is closed');
    if (failed) throw new InternalError(`the event log at ${options.path} failed to commit and must be reopened: ${failed.message}`);
    validateRefusal(aggregate, id, opts.commandId);
    takeWriterLock();
    const refusal: Refusal = { aggregate, id, commandId: opts.commandId, timestamp: opts.timestamp ?? Date.now(), answer };
    const work = root.transaction((): CommandDecision => {
      const first = decisionAt(opts.commandId, commands.get(opts.commandId));
      if (first !== undefined) return first;
      // A refusal takes a position that no reader sees, as on NATS (it is a message of the stream
      // there), so that both engines give the same positions.
      position += 1;
      marks.putSync(LAST_REFUSAL, position);
      commands.putSync(opts.commandId, REFUSED);
      refusals.putSync(opts.commandId, refusal);
      return { kind: 'refusal', refusal };
    });
    pending.add(work);
    try {
      const decision = await work;
      if (durability === 'flushed') await root.flushed;
      return decision;
    } catch (err) {
      failed = err instanceof Error ? err : new Error(String(err));
      throw new InternalError(`refusing ${aggregate}/${id} failed; the event log must be reopened: ${failed.message}`, { aggregate, id });
    } finally {
      pending.delete(work);
    }
  };

  async function* readBatches(opts: ReadBatchesOptions = {}): AsyncGenerator<readonly Commit[]> {
    const maxBatch = opts.maxBatch ?? 1000;
    const live = opts.live ?? true;
    const signal = opts.signal;
    let next = Math.max(1, opts.fromPosition ?? 1);
    // A non-live read ends at the head as it was when the read began.
    const stopAt = live ? Infinity : lastPosition();
    while (!closed && !signal?.aborted) {
      const waitFor = nextAppend(); // taken before reading, so an append in between is not missed
      const batch: Commit[] = [];
      // By count, not by key range: positions that refusals took have no commit.
      if (next <= stopAt) {
        for (const { key, value } of commits.getRange({ start: next, ...(live ? {} : { end: stopAt + 1 }), limit: maxBatch })) {
          batch.push(toCommit(decodeCommitRecord(value), key));
        }
      }
      if (batch.length > 0) {
        next = batch[batch.length - 1]!.position + 1;
        yield batch;
        continue;
      }
      if (!live || next > stopAt) return;
      await waitForAppend(waitFor, pollIntervalMs, signal);
    }
  }

  const snapshots: SnapshotStore = {
    async load(aggregate, id) {
      return snapshotsDb.get([aggregate, id]);
    },
    async save(aggregate, id, snapshot) {
      await snapshotsDb.put([aggregate, id], snapshot);
    },
  };

  return {
    engine: 'embedded',
    exclusiveWriter: true,
    append,
    readStream,
    readAll: (o) => readAllFromBatches(readBatches, o),
    readBatches,
    headPosition,
    firstDecision,
    refuse,
    snapshots,
    async close() {
      if (closed) return;
      closed = true;
      notify();
      await Promise.allSettled([...pending]);
      await root.close();
      lock?.release();
    },
  };
}

function waitForAppend(appended: Promise<void>, pollIntervalMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, pollIntervalMs);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
    appended.then(done, done);
  });
}
