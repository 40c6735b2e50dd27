import { setMaxListeners } from 'node:events';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { MsgHdrsImpl, type NatsConnection } from '@nats-io/transport-node';
import { ClosedError, ConcurrencyError, ConfigError, InternalError, TimeoutError } from '../../errors.js';
import { createLogger, type Logger } from '../../logging/logger.js';
import { probed, type StageProbe } from '../../logging/stageProbe.js';
import { decodeCommitRecord, encodeCommitRecord, toEnvelopes, type CommitRecord } from '../commitRecord.js';
import { AlreadyRefusedError } from '../alreadyRefusedError.js';
import type { AppendOptions, AppendResult, CommandDecision, DomainEvent, EventLog, Refusal } from '../eventLog.js';
import { readAllFromBatches } from '../readAllFromBatches.js';
import { validateAppend, validateRefusal } from '../validateAppend.js';
import { connectNats, type NatsConnectOptions } from './connectNats.js';
import { watchConnection } from './connectionState.js';
import { createDirectGet } from './directGet.js';
import { isTemporarilyUnavailable, natsFailure } from './natsFailure.js';
import { ensureStream } from './ensureStream.js';
import { createCommitChain, versionSubject } from './commitChain.js';
import { createJetStreamPublisher } from './jetStreamPublisher.js';
import { toMsgId } from './msgId.js';
import { createNatsReadBatches } from './natsReadBatches.js';
import { createNatsReadStream } from './natsReadStream.js';
import { createNatsSnapshotStore } from './natsSnapshotStore.js';
import { decodeRefusal, encodeRefusal, refusalSubject } from './refusalRecord.js';
import { replicatedStreamWarning } from './serverVersion.js';
import { advanceHead, createStreamHeads, type StreamHead } from './streamHeads.js';

/**
 * Options of {@link createNatsEventLog}: an existing connection (`nc`) or how to open one (see
 * {@link NatsConnectOptions}, which also reads `NATS_*` environment variables), plus the stream.
 * Durations are milliseconds.
 *
 * @example
 * ```ts
 * const options: NatsEventLogOptions = { servers: 'nats://127.0.0.1:4222', stream: 'SHOP', prefix: 'shop', replicas: 3 };
 * ```
 */
export type NatsEventLogOptions = NatsConnectOptions & {
  /** Use this connection; the log then leaves it open on close. Otherwise the log connects and owns it. */
  nc?: NatsConnection;
  /** Stream name. Default `TRIBUTARY`; snapshots live in `<stream>_SNAPSHOTS`. */
  stream?: string;
  /** Subject prefix: events go to `<prefix>.evt.<Aggregate>.<id>`. Default `tributary`. */
  prefix?: string;
  /** Default `file`. */
  storage?: 'file' | 'memory';
  /** Stream replicas (clustered JetStream). Default 1. */
  replicas?: number;
  /** Age after which JetStream drops commits; 0 (default) keeps them forever. */
  maxAge?: number;
  /**
   * How long JetStream remembers a `Nats-Msg-Id` (the commandId) to drop a duplicate. Default two
   * minutes (or `maxAge`, if shorter). A commandId repeated after this window is only caught when
   * the append carries an expectedVersion that no longer matches.
   */
  duplicateWindow?: number;
  /** How long to wait for each JetStream answer (PubAck, direct get). Default 5000. */
  timeout?: number;
  /** How many aggregates' (version, sequence) heads to remember. Default 100,000. */
  cacheSize?: number;
  logger?: Logger;
  /** Diagnostics: times the encode and append stages (the bench's budget). Leave unset. */
  probe?: StageProbe;
};

/**
 * The JetStream event log: the {@link EventLog} contract plus what the NATS command service needs
 * to share its connection.
 *
 * @example
 * ```ts
 * const log = await createNatsEventLog({ servers: process.env.NATS_URL });
 * console.log(log.stream, log.prefix, log.connection.getServer());
 * ```
 */
export type NatsEventLog = EventLog & {
  readonly engine: 'nats';
  /** The NATS connection the log uses (owned by the log unless it was passed in as `nc`). */
  readonly connection: NatsConnection;
  readonly stream: string;
  readonly prefix: string;
  readonly snapshotStream: string;
};

const STREAM_NAME = /^[A-Za-z0-9_-]{1,200}$/;
const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const WRONG_LAST_SEQUENCE = 10071;
const EXPECTED_LAST_SUBJECT_SEQ = 'Nats-Expected-Last-Subject-Sequence';
const EXPECTED_LAST_SEQ = 'Nats-Expected-Last-Sequence';
// No stream ever reaches this sequence: see `probe`.
const NEVER_SEQ = String(Number.MAX_SAFE_INTEGER);
const MAX_ATTEMPTS = 5;
const EMPTY = new Uint8Array(0);

function checkOptions(o: NatsEventLogOptions, stream: string, prefix: string): void {
  if (!STREAM_NAME.test(stream)) {
    throw new ConfigError(`stream name ${JSON.stringify(stream)} is not valid: use letters, digits, _ and -`);
  }
  if (!PREFIX.test(prefix)) {
    throw new ConfigError(`subject prefix ${JSON.stringify(prefix)} is not valid: use tokens of letters, digits, _ and - separated by dots`);
  }
  const positive = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= min)) {
      throw new ConfigError(`${name} must be an integer >= ${min}, got ${String(v)}`);
    }
  };
  positive('replicas', o.replicas, 1);
  positive('maxAge', o.maxAge, 0);
  positive('duplicateWindow', o.duplicateWindow, 1);
  positive('timeout', o.timeout, 1);
  positive('cacheSize', o.cacheSize, 1);
}

/**
 * Opens the JetStream event log. At start-up it creates its two streams or checks them (a stream
 * that exists with conflicting settings is a {@link ConfigError}, never changed silently):
 * `<stream>` with subjects `<prefix>.evt.>`, and `<stream>_SNAPSHOTS` with `<prefix>.snap.>`.
 *
 * How an append works:
 * - One message per commit on `<prefix>.evt.<Aggregate>.<id>.<base version>` (the version the
 *   commit builds on, see {@link versionSubject}), body {@link encodeCommitRecord} (the same bytes
 *   as the LMDB engine), headers `Nats-Msg-Id` = commandId and
 *   `Nats-Expected-Last-Subject-Sequence: 0`. Both checks are applied in Raft order on a clustered
 *   stream of every nats-server version, so racing writers can never store two commits at one
 *   version, nor one commandId twice inside the duplicate window.
 * - A bounded cache maps each aggregate to its head (version, last sequence), filled by appends and
 *   reads; on a miss the chain is walked from the snapshot hint. JetStream's answer 10071 means
 *   another writer built on that version first: {@link ConcurrencyError} when an expectedVersion
 *   was given, otherwise a fresh walk and another try.
 * - A duplicate PubAck (same commandId inside the duplicate window) returns the FIRST commit's
 *   result, read back by its sequence, with `duplicate: true`; nothing is written twice.
 * - Publishing is a plain `nc.publish` with a reply subject under one inbox subscription, so any
 *   number of appends are in flight at once; appends to one aggregate are queued behind each other.
 *
 * @example
 * ```ts
 * const log = await createNatsEventLog({ servers: 'nats://127.0.0.1:4222' });
 * const r = await log.append('Account', 'a-1', [{ type: 'AccountOpened', data: { owner: 'Ada' } }],
 *   { expectedVersion: 0, commandId: 'c-1' });
 * const events = await log.readStream('Account', 'a-1');
 * log.readAll({ fromPosition: 1 }).subscribe((commit) => console.log(commit.position));
 * await log.close();
 * ```
 */
export async function createNatsEventLog(options: NatsEventLogOptions = {}): Promise<NatsEventLog> {
  const stream = options.stream ?? 'TRIBUTARY';
  const prefix = options.prefix ?? 'tributary';
  checkOptions(options, stream, prefix);
  const snapshotStream = `${stream}_SNAPSHOTS`;
  const timeout = options.timeout ?? 5000;
  const maxAge = options.maxAge ?? 0;
  const duplicateWindow = options.duplicateWindow ?? (maxAge > 0 ? Math.min(120_000, maxAge) : 120_000);
  const storage = options.storage ?? 'file';
  const replicas = options.replicas ?? 1;
  const logger = (options.logger ?? createLogger()).child({ stream });

  const owned = options.nc === undefined;
  const nc = options.nc ?? (await connectNats(options));

  let jsm: JetStreamManager;
  try {
    try {
      jsm = await jetstreamManager(nc, { timeout });
    } catch (err) {
      throw new ConfigError(`JetStream is not available on this NATS connection: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
    await ensureStream(
      jsm,
      {
        name: stream,
        subjects: [`${prefix}.evt.>`, `${prefix}.rej.>`],
        // Streams made before refusals were stored lack it; adding a subject loses nothing.
        addableSubjects: [`${prefix}.rej.>`],
        storage,
        replicas,
        maxAge,
        duplicateWindow,
        maxMsgsPerSubject: -1,
      },
      logger,
    );
    await ensureStream(
      jsm,
      {
        name: snapshotStream,
        subjects: [`${prefix}.snap.>`],
        storage,
        replicas,
        maxAge: 0,
        duplicateWindow: 120_000,
        maxMsgsPerSubject: 1,
      },
      logger,
    );
  } catch (err) {
    if (owned) await nc.close().catch(() => undefined);
    throw err;
  }
  const serverVersion = nc.info?.version ?? 'unknown';
  const versionWarning = replicatedStreamWarning(serverVersion, replicas);
  if (versionWarning) logger.warn({ serverVersion, replicas }, versionWarning);

  const js = jetstream(nc, { timeout });
  const connection = watchConnection(nc, logger);
  const publisher = createJetStreamPublisher(nc, { timeout, connection });
  const direct = createDirectGet(nc, stream, timeout);
  const heads = createStreamHeads(options.cacheSize ?? 100_000);
  const subjectPrefix = `${prefix}.evt.`;
  const refusalPrefix = `${prefix}.rej.`;
  const encodeRecord = probed(options.probe, 'encode', encodeCommitRecord);
  // The acknowledged commit, as its caller sees it.
  const stored = probed(options.probe, 'append', (head: StreamHead, record: CommitRecord, seq: number): AppendResult => {
    advanceHead(head, record.version, seq);
    return { version: record.version, position: seq, events: toEnvelopes(record, seq), duplicate: false };
  });

  let closed = false;
  const closing = new AbortController();
  // Every live reader listens for the log closing; dozens of readers are normal, not a leak.
  setMaxListeners(0, closing.signal);
  const cleanups = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    cleanups.add(p);
    void p.finally(() => cleanups.delete(p));
  };
  const assertOpen = () => {
    if (closed) throw new ClosedError('event log is closed');
  };
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const chain = createCommitChain({ js, stream, direct, track });

  /** Brings the head up to date: a walk from what is known (the cached head or the snapshot hint). */
  const refreshHead = async (head: StreamHead, stem: string): Promise<void> => {
    const from = head.known ? head : head.hintSeq >= 0 ? { version: head.hintVersion, seq: head.hintSeq } : { version: 0, seq: 0 };
    const walked = await chain.walk(stem, from.version, from.seq);
    advanceHead(head, walked.version, walked.seq);
  };

  const conflict = (aggregate: string, id: string, expectedVersion: number, actualVersion: number) =>
    new ConcurrencyError(
      `${aggregate}/${id}: expected version ${expectedVersion}, but it is at version ${actualVersion}`,
      { aggregate, id, expectedVersion, actualVersion },
    );

  // What a JetStream error ack means to the caller. "Temporarily unavailable" (an election) did
  // not store this copy, but one the publisher sent before may have been: the outcome is unknown,
  // like a missing ack, and the caller retries with the same commandId. Anything else (resource
  // limits included, which are 503 too) is a refusal.
  const refused = (what: string, ack: { errCode: number; code: number; description: string }, details: Record<string, unknown>) =>
    isTemporarilyUnavailable(ack.code, ack.errCode)
      ? new TimeoutError(
          `JetStream was unavailable for ${what} (${ack.description}): it may or may not be stored; retrying with the same commandId is safe`,
          { ...details, errCode: ack.errCode },
        )
      : new InternalError(`JetStream refused ${what}: ${ack.description} (${ack.errCode})`, { ...details, errCode: ack.errCode });

  /**
   * The decision a duplicate ack points at: a commit or a refusal. When its stored bytes are
   * exactly the ones this publish sent (same commandId, version and timestamp), it is this
   * publish's own write whose first ack was lost (the publisher sends again after a reconnect): not
   * a duplicate.
   */
  const decisionAt = async (seq: number, what: string, sent: Uint8Array | undefined): Promise<CommandDecision> => {
    const msg = await direct.bySeq(seq);
    if (msg === undefined) {
      throw new InternalError(`${what}: JetStream reports this commandId as a duplicate of position ${seq}, which is no longer in the stream`, {
        position: seq,
      });
    }
    const own = sent !== undefined && Buffer.from(sent.buffer, sent.byteOffset, sent.byteLength).equals(msg.data);
    if (msg.subject.startsWith(refusalPrefix)) return { kind: 'refusal', refusal: decodeRefusal(msg.data, seq) };
    const record = decodeCommitRecord(msg.data);
    return { kind: 'commit', result: { version: record.version, position: seq, events: toEnvelopes(record, seq), duplicate: !own } };
  };

  /**
   * Asks JetStream's dedupe whether `commandId` was decided inside the duplicate window, with no
   * chance of writing: the dedupe check runs before the stream-sequence check, and no stream ever
   * reaches {@link NEVER_SEQ}. Both checks run when the proposal is applied, also on a cluster.
   */
  const probe = async (subject: string, commandId: string): Promise<CommandDecision | undefined> => {
    const h = new MsgHdrsImpl();
    h.headers.set('Nats-Msg-Id', [toMsgId(commandId)]);
    h.headers.set(EXPECTED_LAST_SEQ, [NEVER_SEQ]);
    const ack = await publisher.publish(subject, EMPTY, h);
    if (ack.ok && ack.duplicate) return decisionAt(ack.seq, `commandId ${commandId}`, undefined);
    if (ack.ok) throw new InternalError(`JetStream stored a probe for commandId ${commandId} on ${subject}`, { subject });
    if (ack.errCode !== WRONG_LAST_SEQUENCE) throw refused(`a lookup of commandId ${commandId}`, ack, { subject });
    return undefined;
  };

  // A refusal is a message like a commit, deduplicated by the same Nats-Msg-Id: whichever of the
  // two JetStream stores first is the commandId's decision, on a cluster too.
  const refuse = async (aggregate: string, id: string, answer: unknown, opts: { commandId: string; timestamp?: number }): Promise<CommandDecision> => {
    assertOpen();
    validateRefusal(aggregate, id, opts.commandId);
    const refusal: Refusal = { aggregate, id, commandId: opts.commandId, timestamp: opts.timestamp ?? Date.now(), answer };
    const h = new MsgHdrsImpl();
    h.headers.set('Nats-Msg-Id', [toMsgId(opts.commandId)]);
    const body = encodeRefusal(refusal);
    const ack = await publisher.publish(refusalSubject(prefix, aggregate, id), body, h);
    if (!ack.ok) throw refused(`the refusal of ${aggregate}/${id}`, ack, { aggregate, id });
    if (!ack.duplicate) return { kind: 'refusal', refusal };
    return decisionAt(ack.seq, `${aggregate}/${id}`, body);
  };

  // Appends to one aggregate run one after another (the next builds on the version the previous
  // reached): `previous` is the append queued before this one, if any. One async function with
  // counters, not per-call closures or extra promise layers: this is the hot path.
  const appendQueued = async (
    aggregate: string,
    id: string,
    stem: string,
    head: StreamHead,
    previous: Promise<unknown> | undefined,
    events: readonly DomainEvent[],
    opts: AppendOptions,
  ): Promise<AppendResult> => {
    head.busy += 1;
    inFlight += 1;
    try {
      if (previous !== undefined) {
        try {
          await previous;
        } catch {
          // that append's caller has its error; this one goes ahead
        }
      }
      const msgId = toMsgId(opts.commandId);
      const expected = opts.expectedVersion;
      if (!head.known) {
        // A new aggregate needs no lookup: base version 0 is a commit's base by definition.
        if (expected === 0) advanceHead(head, 0, 0);
        else await refreshHead(head, stem);
      }
      // fresh: the head was read from the stream during this append. notDuplicate: JetStream has
      // already answered that this commandId is not stored (its dedupe runs before the sequence check).
      let fresh = false;
      let notDuplicate = false;
      for (let attempt = 1; ; attempt++) {
        if (expected !== undefined && expected !== head.version) {
          if (!fresh) {
            // The cached head may be behind another writer's commits.
            await refreshHead(head, stem);
            fresh = true;
            continue;
          }
          const first = notDuplicate ? undefined : await probe(versionSubject(stem, head.version), opts.commandId);
          if (first?.kind === 'refusal') throw new AlreadyRefusedError(first.refusal);
          if (first !== undefined) return first.result;
          throw conflict(aggregate, id, expected, head.version);
        }
        const record: CommitRecord = {
          aggregate,
          id,
          version: head.version + events.length,
          commandId: opts.commandId,
          correlationId: opts.correlationId ?? opts.commandId,
          causationId: opts.causationId ?? opts.commandId,
          timestamp: opts.timestamp ?? Date.now(),
          traceparent: opts.traceparent,
          events: events as DomainEvent[],
        };
        // Filled directly: `set` canonicalises and validates each key and value, ~1 µs per append;
        // both keys are constants and toMsgId never yields CR, LF or surrounding whitespace.
        const h = new MsgHdrsImpl();
        h.headers.set('Nats-Msg-Id', [msgId]);
        h.headers.set(EXPECTED_LAST_SUBJECT_SEQ, ['0']);
        const body = encodeRecord(record);
        const ack = await publisher.publish(versionSubject(stem, head.version), body, h);
        if (ack.ok) {
          if (ack.duplicate) {
            const first = await decisionAt(ack.seq, `${aggregate}/${id}`, body);
            if (first.kind === 'refusal') throw new AlreadyRefusedError(first.refusal);
            if (!first.result.duplicate) advanceHead(head, first.result.version, first.result.position);
            return first.result;
          }
          return stored(head, record, ack.seq);
        }
        if (ack.errCode !== WRONG_LAST_SEQUENCE) throw refused(`the append to ${aggregate}/${id}`, ack, { aggregate, id });
        // Another commit builds on this version already.
        notDuplicate = true;
        if (attempt >= MAX_ATTEMPTS) {
          throw new ConcurrencyError(
            `${aggregate}/${id}: other writers kept appending to it; gave up after ${attempt} attempts`,
            { aggregate, id, attempts: attempt },
          );
        }
        await refreshHead(head, stem);
        fresh = true;
      }
    } finally {
      head.busy -= 1;
      if (head.busy === 0) head.tail = undefined;
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    }
  };

  const append = probed(options.probe, 'append', (
    aggregate: string,
    id: string,
    events: readonly DomainEvent[],
    opts: AppendOptions,
  ): Promise<AppendResult> => {
    try {
      assertOpen();
      validateAppend(aggregate, id, events, opts);
    } catch (err) {
      return Promise.reject(err);
    }
    const subject = `${subjectPrefix}${aggregate}.${id}`;
    const head = heads.entry(subject);
    const p = appendQueued(aggregate, id, subject, head, head.busy > 0 ? head.tail : undefined, events, opts);
    head.tail = p;
    return p;
  });

  // The last commit's sequence: the stream's last message may be a refusal, which no reader sees.
  const lastCommit = async (): Promise<number> => {
    try {
      const last = await jsm.streams.getMessage(stream, { last_by_subj: `${subjectPrefix}>` });
      return last?.seq ?? 0;
    } catch (err) {
      throw natsFailure(err, `reading the last position of stream ${stream}`);
    }
  };

  const readBatches = createNatsReadBatches({
    nc,
    js,
    stream,
    subjects: `${subjectPrefix}>`,
    headPosition: lastCommit,
    connection,
    closing: closing.signal,
    track,
    logger,
  });
  const readStream = createNatsReadStream({ subjectPrefix, chain, heads, assertOpen });
  const snapshots = createNatsSnapshotStore({
    prefix,
    publisher,
    direct: createDirectGet(nc, snapshotStream, timeout),
    onKnown: (aggregate, id, version, position) => {
      const head = heads.entry(`${subjectPrefix}${aggregate}.${id}`);
      head.hintVersion = version;
      head.hintSeq = position;
    },
    assertOpen,
  });

  let closeDone: Promise<void> | undefined;
  return {
    engine: 'nats',
    connection: nc,
    stream,
    prefix,
    snapshotStream,
    append,
    readStream,
    readAll: (o) => readAllFromBatches(readBatches, o),
    readBatches,
    async headPosition() {
      assertOpen();
      return lastCommit();
    },
    firstDecision(commandId) {
      assertOpen();
      // Any subject of the stream will do: the probe never writes.
      return probe(`${subjectPrefix}lookup`, commandId);
    },
    refuse,
    snapshots,
    close() {
      closeDone ??= (async () => {
        closed = true;
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        closing.abort();
        // Let aborted readers reach their cleanup (consumer deletion) before the connection goes.
        await new Promise((resolve) => setImmediate(resolve));
        await Promise.allSettled([...cleanups]);
        publisher.close();
        connection.stop();
        if (owned && !nc.isClosed()) {
          await nc.drain().catch((err: unknown) => logger.debug({ err }, 'draining the NATS connection failed'));
        }
      })();
      return closeDone;
    },
  };
}
