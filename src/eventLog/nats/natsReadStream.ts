import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { ValidationError } from '../../errors.js';
import { decodeCommitRecord, toEnvelopes, type CommitRecord } from '../commitRecord.js';
import type { EventEnvelope, ReadStreamOptions } from '../eventLog.js';
import { assertAggregateId, assertAggregateName } from '../subjectToken.js';
import { natsFailure, type DirectGet } from './directGet.js';
import type { StreamHeads } from './streamHeads.js';

/**
 * What {@link createNatsReadStream} needs from the log.
 *
 * @example
 * ```ts
 * const deps: NatsReadStreamDeps = { js, stream: 'TRIBUTARY', subjectPrefix: 'tributary.evt.', direct, heads, track, assertOpen };
 * ```
 */
export type NatsReadStreamDeps = {
  readonly js: JetStreamClient;
  readonly stream: string;
  /** `<prefix>.evt.` */
  readonly subjectPrefix: string;
  readonly direct: DirectGet;
  /** Updated with the head of every stream read, for the next append; holds the snapshot hints. */
  readonly heads: StreamHeads;
  /** Keeps a consumer deletion alive until the log closes. */
  readonly track: (cleanup: Promise<unknown>) => void;
  readonly assertOpen: () => void;
};

type StoredCommit = { readonly seq: number; readonly record: CommitRecord };

// Up to this many commits are read with direct gets (~0.1 ms each); more go through one ordered
// consumer, whose set-up costs about as much as this many direct gets.
const DIRECT_STEPS = 8;

const firstVersion = (r: CommitRecord) => r.version - r.events.length + 1;

/**
 * Builds `readStream` for the JetStream engine. A cold load is made of direct gets, not a scan:
 *
 * 1. `last_by_subj` gives the aggregate's last commit (and refreshes the version cache). When that
 *    commit holds `fromVersion` (e.g. the caller restored a snapshot that is at most one commit
 *    behind), that one get is the whole read.
 * 2. Otherwise the commits between start and the last one are read from the latest known
 *    sequence: right after the loaded snapshot's position when there is one, else the stream
 *    start. A few commits are read with `next_by_subj` direct gets, longer tails through an ordered
 *    consumer filtered to the aggregate's subject (deleted afterwards).
 *
 * A snapshot position only decides where reading starts. If the commits found from there do not
 * reach back to `fromVersion` without a gap, the read is redone from the stream's start, so a
 * wrong snapshot position can cost time but never change the result.
 *
 * @example
 * ```ts
 * const readStream = createNatsReadStream({ js, stream, subjectPrefix: 'tributary.evt.', direct, heads, track, assertOpen });
 * const events = await readStream('Account', 'a-1', { fromVersion: snapshot.version + 1 });
 * ```
 */
export function createNatsReadStream(deps: NatsReadStreamDeps) {
  const viaConsumer = async (
    subject: string,
    fromSeq: number,
    endSeq: number,
    untilVersion: number,
    out: StoredCommit[],
  ): Promise<void> => {
    let consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>>;
    try {
      consumer = await deps.js.consumers.get(deps.stream, {
        filter_subjects: subject,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: fromSeq,
        inactive_threshold: 30_000,
      });
    } catch (err) {
      throw natsFailure(err, `reading ${subject} from sequence ${fromSeq}`);
    }
    let messages: ConsumerMessages | undefined;
    try {
      for (let done = false; !done; ) {
        messages = await consumer.fetch({ max_messages: 1000, expires: 5000 });
        let received = 0;
        for await (const m of messages) {
          received += 1;
          if (m.seq >= endSeq) {
            done = true;
            break;
          }
          const record = decodeCommitRecord(m.data);
          out.push({ seq: m.seq, record });
          // Reached the commit before the last one; or nothing more on this subject (the commit
          // at endSeq was removed meanwhile).
          if (record.version >= untilVersion || m.info.pending === 0) {
            done = true;
            break;
          }
        }
        if (received === 0) done = true;
      }
    } catch (err) {
      throw natsFailure(err, `reading ${subject} from sequence ${fromSeq}`);
    } finally {
      messages?.stop();
      deps.track(consumer.delete().catch(() => undefined));
    }
  };

  /**
   * The commits of `subject` with fromSeq <= seq < endSeq that hold versions from `fromVersion`,
   * stopping at the one that holds `untilVersion` (the version before the last commit's).
   */
  const readBetween = async (
    subject: string,
    fromSeq: number,
    endSeq: number,
    fromVersion: number,
    untilVersion: number,
  ): Promise<StoredCommit[]> => {
    const all: StoredCommit[] = [];
    const wanted = () => all.filter((c) => c.record.version >= fromVersion);
    let seq = fromSeq;
    for (let step = 0; step < DIRECT_STEPS; step++) {
      const msg = await deps.direct.next(subject, seq);
      if (msg === undefined || msg.seq >= endSeq) return wanted();
      const record = decodeCommitRecord(msg.data);
      all.push({ seq: msg.seq, record });
      if (record.version >= untilVersion) return wanted();
      seq = msg.seq + 1;
    }
    await viaConsumer(subject, seq, endSeq, untilVersion, all);
    return wanted();
  };

  /** True when `commits` hold every version from `fromVersion` to `untilVersion`, with no gap. */
  const covers = (commits: readonly StoredCommit[], fromVersion: number, untilVersion: number): boolean => {
    let expectFirstAtMost = fromVersion;
    for (const { record } of commits) {
      if (firstVersion(record) > expectFirstAtMost) return false;
      expectFirstAtMost = record.version + 1;
    }
    return expectFirstAtMost === untilVersion + 1;
  };

  return async function readStream(
    aggregate: string,
    id: string,
    options: ReadStreamOptions = {},
  ): Promise<EventEnvelope[]> {
    deps.assertOpen();
    assertAggregateName(aggregate);
    assertAggregateId(id);
    const fromVersion = options.fromVersion ?? 1;
    if (!Number.isSafeInteger(fromVersion)) {
      throw new ValidationError(`fromVersion must be an integer, got ${String(fromVersion)}`, { aggregate, id });
    }
    const subject = `${deps.subjectPrefix}${aggregate}.${id}`;

    const lastMsg = await deps.direct.last(subject);
    if (lastMsg === undefined) {
      deps.heads.learn(subject, 0, 0);
      return [];
    }
    const last = decodeCommitRecord(lastMsg.data);
    const head = deps.heads.learn(subject, last.version, lastMsg.seq);
    if (fromVersion > last.version) return [];
    const lastEnvelopes = toEnvelopes(last, lastMsg.seq);
    if (firstVersion(last) <= fromVersion) return lastEnvelopes.filter((e) => e.version >= fromVersion);

    const start = head.hintSeq >= 0 && head.hintVersion < fromVersion && head.hintSeq < lastMsg.seq ? head.hintSeq + 1 : 1;
    const untilVersion = firstVersion(last) - 1;
    let tail = await readBetween(subject, start, lastMsg.seq, fromVersion, untilVersion);
    if (start > 1 && !covers(tail, fromVersion, untilVersion)) {
      // The snapshot's position was past its version: start over from the beginning.
      head.hintSeq = -1;
      tail = await readBetween(subject, 1, lastMsg.seq, fromVersion, untilVersion);
    }
    const out: EventEnvelope[] = [];
    for (const c of tail) for (const e of toEnvelopes(c.record, c.seq)) if (e.version >= fromVersion) out.push(e);
    for (const e of lastEnvelopes) out.push(e);
    return out;
  };
}
