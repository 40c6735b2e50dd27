import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { ClosedError, ConcurrencyError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { decodeCommitRecord, encodeCommitRecord, toCommit, toEnvelopes, type CommitRecord } from '../commitRecord.js';
import type {
  AppendOptions,
  AppendResult,
  Commit,
  DomainEvent,
  EventEnvelope,
  EventLog,
  ReadBatchesOptions,
  ReadStreamOptions,
  Snapshot,
  SnapshotStore,
} from '../eventLog.js';
import { readAllFromBatches } from '../readAllFromBatches.js';
import { validateAppend } from '../validateAppend.js';

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
};


type AppendOutcome =
  | { kind: 'ok'; version: number; position: number; record: CommitRecord }
  | { kind: 'duplicate'; position: number; record: CommitRecord }
  | { kind: 'conflict'; actual: number };

/**
 * Opens the embedded event log: an LMDB environment on disk, no server needed.
 *
 * Each append is one LMDB write transaction callback: the command-id dedupe, the expected-version
 * check, the position and the writes happen together, so they are atomic even with several
 * processes on one directory. lmdb-js batches the callbacks of one event turn into a single
 * commit, which is what makes thousands of concurrent appends cheap.
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
  mkdirSync(options.path, { recursive: true });
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const root: RootDatabase = open({ path: options.path, ...(options.mapSize ? { mapSize: options.mapSize } : {}) });
  // [aggregate, id] -> current version
  const heads: Database<number, [string, string]> = root.openDB({ name: 'heads', encoding: 'ordered-binary' });
  // position -> commit record bytes (the same msgpack as a JetStream message body)
  const commits: Database<Uint8Array, number> = root.openDB({ name: 'commits', encoding: 'binary' });
  // [aggregate, id, version after commit] -> position
  const streams: Database<number, [string, string, number]> = root.openDB({ name: 'streams', encoding: 'ordered-binary' });
  // commandId -> position of the commit it produced
  const commands: Database<number, string> = root.openDB({ name: 'commands', encoding: 'ordered-binary' });
  const snapshotsDb: Database<Snapshot, [string, string]> = root.openDB({ name: 'snapshots' });

  let closed = false;
  const pending = new Set<Promise<unknown>>();
  // Wakes live readers; replaced after each wake so every waiter sees each append.
  let wake: () => void = () => {};
  let appended = new Promise<void>((resolve) => (wake = resolve));
  const notify = () => {
    const w = wake;
    appended = new Promise<void>((resolve) => (wake = resolve));
    w();
  };

  // The head position is read from the commits themselves once per write transaction, so it is
  // right even when another process appended in between; within one batched transaction it is
  // counted in memory, since the transaction holds the write lock. (A cursor step per append, or a
  // head key rewritten per append, measured slower.)
  const lastPosition = (): number => {
    for (const key of commits.getKeys({ reverse: true, limit: 1 })) return key;
    return 0;
  };
  let txnId = -1;
  let txnPosition = 0;
  const nextPosition = (): number => {
    const current = root.getWriteTxnId();
    if (current !== txnId) {
      txnId = current;
      txnPosition = lastPosition();
    }
    return ++txnPosition;
  };

  const readCommit = (position: number): Commit | undefined => {
    const bytes = commits.get(position);
    return bytes === undefined ? undefined : toCommit(decodeCommitRecord(bytes), position);
  };

  const append = async (
    aggregate: string,
    id: string,
    events: readonly DomainEvent[],
    opts: AppendOptions,
  ): Promise<AppendResult> => {
    if (closed) throw new ClosedError('event log is closed');
    validateAppend(aggregate, id, events, opts);
    const commandId = opts.commandId;
    const timestamp = opts.timestamp ?? Date.now();
    const headKey: [string, string] = [aggregate, id];
    // The callback only reads until every check has passed, so a refused append writes nothing
    // (a callback that threw after writing would leave its writes in the shared batch).
    const work = root.transaction((): AppendOutcome => {
      const seen = commands.get(commandId);
      if (seen !== undefined) {
        return { kind: 'duplicate', position: seen, record: decodeCommitRecord(commits.get(seen)!) };
      }
      const head = heads.get(headKey) ?? 0;
      if (opts.expectedVersion !== undefined && opts.expectedVersion !== head) {
        return { kind: 'conflict', actual: head };
      }
      const position = nextPosition();
      const version = head + events.length;
      const record: CommitRecord = {
        aggregate,
        id,
        version,
        commandId,
        correlationId: opts.correlationId ?? commandId,
        causationId: opts.causationId ?? commandId,
        timestamp,
        events: events as DomainEvent[],
      };
      commits.putSync(position, encodeCommitRecord(record));
      streams.putSync([aggregate, id, version], position);
      heads.putSync(headKey, version);
      commands.putSync(commandId, position);
      return { kind: 'ok', version, position, record };
    });
    pending.add(work);
    let outcome: AppendOutcome;
    try {
      outcome = await work;
    } finally {
      pending.delete(work);
    }
    switch (outcome.kind) {
      case 'ok':
        notify();
        return {
          version: outcome.version,
          position: outcome.position,
          events: toEnvelopes(outcome.record, outcome.position),
          duplicate: false,
        };
      case 'duplicate':
        return {
          version: outcome.record.version,
          position: outcome.position,
          events: toEnvelopes(outcome.record, outcome.position),
          duplicate: true,
        };
      case 'conflict':
        throw new ConcurrencyError(
          `${aggregate}/${id}: expected version ${String(opts.expectedVersion)}, but it is at version ${outcome.actual}`,
          { aggregate, id, expectedVersion: opts.expectedVersion, actualVersion: outcome.actual },
        );
    }
  };

  const readStream = async (aggregate: string, id: string, opts: ReadStreamOptions = {}): Promise<EventEnvelope[]> => {
    if (closed) throw new ClosedError('event log is closed');
    const fromVersion = opts.fromVersion ?? 1;
    const out: EventEnvelope[] = [];
    // Keyed by each commit's LAST version, so the commit holding `fromVersion` is included.
    for (const { value: position } of streams.getRange({
      start: [aggregate, id, fromVersion],
      end: [aggregate, id, Number.MAX_SAFE_INTEGER],
    })) {
      const commit = readCommit(position);
      if (!commit) continue;
      for (const e of commit.events) if (e.version >= fromVersion) out.push(e);
    }
    return out;
  };

  const headPosition = async (): Promise<number> => lastPosition();

  async function* readBatches(opts: ReadBatchesOptions = {}): AsyncGenerator<readonly Commit[]> {
    const maxBatch = opts.maxBatch ?? 1000;
    const live = opts.live ?? true;
    const signal = opts.signal;
    let next = Math.max(1, opts.fromPosition ?? 1);
    // A non-live read ends at the head as it was when the read began.
    const stopAt = live ? Infinity : lastPosition();
    while (!closed && !signal?.aborted) {
      const waitFor = appended; // taken before reading, so an append in between is not missed
      const batch: Commit[] = [];
      const end = Math.min(next + maxBatch, stopAt + 1);
      if (next < end) {
        for (const { key, value } of commits.getRange({ start: next, end })) {
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
    append,
    readStream,
    readAll: (o) => readAllFromBatches(readBatches, o),
    readBatches,
    headPosition,
    snapshots,
    async close() {
      if (closed) return;
      closed = true;
      notify();
      await Promise.allSettled([...pending]);
      await root.close();
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
