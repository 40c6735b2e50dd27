import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { InternalError } from '../../errors.js';
import { decodeCommitRecord, type CommitRecord } from '../commitRecord.js';
import type { DirectGet } from './directGet.js';
import { natsFailure } from './natsFailure.js';

/**
 * The subject of an aggregate's commit that starts after `baseVersion`:
 * `<prefix>.evt.<Aggregate>.<id>.<baseVersion>`.
 *
 * Why one subject per base version: on a clustered stream of nats-server before 2.9.21,
 * `Nats-Expected-Last-Subject-Sequence: N` with N > 0 is only checked by the leader before the
 * Raft proposal, so two racing writers can both pass it (nats-server#4320). Sequence 0 ("this
 * subject must be empty") is checked when the proposal is applied, in Raft order, on every
 * version. Publishing each commit with sequence 0 on the subject of the version it builds on makes
 * "at most one commit per base version" a serialised check, and so an aggregate's commits form
 * one chain: a commit's base is always the end version of an existing commit (or 0).
 *
 * @example
 * ```ts
 * versionSubject('tributary.evt.Account.a-1', 3); // 'tributary.evt.Account.a-1.3'
 * ```
 */
export function versionSubject(stem: string, baseVersion: number): string {
  return `${stem}.${baseVersion}`;
}

/**
 * A commit read from the stream with its sequence.
 *
 * @example
 * ```ts
 * const { seq, record } = walked.commits[0];
 * ```
 */
export type StoredCommit = { readonly seq: number; readonly record: CommitRecord };

/**
 * What {@link CommitChain.walk} found: the commits after the start, in order, and the head (the
 * end version of the last one and its sequence; the start when there is none).
 *
 * @example
 * ```ts
 * const { commits, version, seq } = await chain.walk(stem, 0, 0);
 * ```
 */
export type ChainWalk = { readonly commits: StoredCommit[]; readonly version: number; readonly seq: number };

/**
 * Reads an aggregate's chain of commits forward from a version known to be a commit's end.
 *
 * @example
 * ```ts
 * const chain = createCommitChain({ js, stream: 'TRIBUTARY', direct, track });
 * const { version } = await chain.walk('tributary.evt.Account.a-1', 0, 0);
 * ```
 */
export type CommitChain = {
  /**
   * The commits after `fromVersion` (which must be 0 or a commit's end version; `fromSeq` is that
   * commit's sequence, 0 for none), up to the head, or only until one reaches version `until`.
   */
  walk(stem: string, fromVersion: number, fromSeq: number, until?: number): Promise<ChainWalk>;
  /** True when the commit at sequence `seq` is on `stem` and ends at `version` (0 and 0: no commit yet). */
  endsAt(stem: string, version: number, seq: number): Promise<boolean>;
};

// Up to this many commits are read with direct gets (~0.1 ms each, and no server-side state); a
// longer chain goes through one consumer. With the NATS engine's default snapshots (every 25
// events) a cold load stays within the direct gets.
const DIRECT_STEPS = 32;
// At most this many chain consumers at once per log: a node taking over many cold aggregates must
// not flood the stream leader with consumer creations (each is a Raft-replicated API call).
const MAX_CONSUMERS = 4;

const firstVersion = (r: CommitRecord) => r.version - r.events.length + 1;

/**
 * Creates the chain reader. Each step is a direct get of a literal subject (`last_by_subj` of
 * `<stem>.<version>`), which the server answers from its per-subject index however far the
 * aggregate's commits are spread through the stream. Past {@link DIRECT_STEPS} commits, the rest
 * comes from one consumer filtered to `<stem>.*` from the last sequence found (stream order is
 * chain order, since a commit can only be stored after the one it builds on); at most
 * {@link MAX_CONSUMERS} of those run at once.
 *
 * @example
 * ```ts
 * const chain = createCommitChain({ js, stream, direct, track });
 * ```
 */
export function createCommitChain(deps: {
  readonly js: JetStreamClient;
  readonly stream: string;
  readonly direct: DirectGet;
  /** Keeps a consumer deletion alive until the log closes. */
  readonly track: (cleanup: Promise<unknown>) => void;
}): CommitChain {
  const broken = (stem: string, seq: number, record: CommitRecord, expected: number) =>
    new InternalError(
      `${stem}: the commit at position ${seq} starts at version ${firstVersion(record)}, expected ${expected}: ` +
        'something other than Tributary wrote to the event subjects',
      { subject: stem, position: seq, expectedVersion: expected },
    );

  let consumers = 0;
  const queued: Array<() => void> = [];
  const viaConsumer = async (stem: string, out: StoredCommit[], from: { version: number; seq: number }, until: number) => {
    if (consumers >= MAX_CONSUMERS) await new Promise<void>((resolve) => queued.push(resolve));
    consumers += 1;
    try {
      await readWithConsumer(stem, out, from, until);
    } finally {
      consumers -= 1;
      queued.shift()?.();
    }
  };

  const readWithConsumer = async (stem: string, out: StoredCommit[], from: { version: number; seq: number }, until: number) => {
    const filter = `${stem}.*`;
    let consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>>;
    try {
      consumer = await deps.js.consumers.get(deps.stream, {
        filter_subjects: filter,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: from.seq + 1,
        inactive_threshold: 30_000,
      });
    } catch (err) {
      throw natsFailure(err, `reading ${filter} from sequence ${from.seq + 1}`);
    }
    let messages: ConsumerMessages | undefined;
    try {
      for (let done = false; !done; ) {
        messages = await consumer.fetch({ max_messages: 1000, expires: 5000 });
        let received = 0;
        for await (const m of messages) {
          received += 1;
          const record = decodeCommitRecord(m.data);
          if (firstVersion(record) !== from.version + 1) throw broken(stem, m.seq, record, from.version + 1);
          out.push({ seq: m.seq, record });
          from.version = record.version;
          from.seq = m.seq;
          if (m.info.pending === 0 || from.version >= until) {
            done = true;
            break;
          }
        }
        if (received === 0) done = true;
      }
    } catch (err) {
      throw natsFailure(err, `reading ${filter} from sequence ${from.seq + 1}`);
    } finally {
      messages?.stop();
      deps.track(consumer.delete().catch(() => undefined));
    }
  };

  return {
    async walk(stem, fromVersion, fromSeq, until = Infinity) {
      const commits: StoredCommit[] = [];
      const at = { version: fromVersion, seq: fromSeq };
      // One step more than DIRECT_STEPS: the consumer is only made when that last get found a
      // commit, so it never waits out a fetch on an empty tail.
      for (let step = 0; step <= DIRECT_STEPS; step++) {
        if (at.version >= until) return { commits, ...at };
        const msg = await deps.direct.last(versionSubject(stem, at.version));
        if (msg === undefined) return { commits, ...at };
        const record = decodeCommitRecord(msg.data);
        if (firstVersion(record) !== at.version + 1) throw broken(stem, msg.seq, record, at.version + 1);
        commits.push({ seq: msg.seq, record });
        at.version = record.version;
        at.seq = msg.seq;
      }
      if (at.version >= until) return { commits, ...at };
      await viaConsumer(stem, commits, at, until);
      return { commits, ...at };
    },
    async endsAt(stem, version, seq) {
      if (seq === 0) return version === 0;
      const msg = await deps.direct.bySeq(seq);
      return msg !== undefined && msg.subject.startsWith(`${stem}.`) && decodeCommitRecord(msg.data).version === version;
    },
  };
}
