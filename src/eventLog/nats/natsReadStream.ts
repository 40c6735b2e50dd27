import { ValidationError } from '../../errors.js';
import { toEnvelopes } from '../commitRecord.js';
import type { EventEnvelope, ReadStreamOptions } from '../eventLog.js';
import { assertAggregateId, assertAggregateName } from '../subjectToken.js';
import { advanceHead, type StreamHeads } from './streamHeads.js';
import type { ChainWalk, CommitChain } from './commitChain.js';

/**
 * What {@link createNatsReadStream} needs from the log.
 *
 * @example
 * ```ts
 * const deps: NatsReadStreamDeps = { subjectPrefix: 'tributary.evt.', chain, heads, assertOpen };
 * ```
 */
export type NatsReadStreamDeps = {
  /** `<prefix>.evt.` */
  readonly subjectPrefix: string;
  readonly chain: CommitChain;
  /** Updated with the head of every stream read, for the next append; holds the snapshot hints. */
  readonly heads: StreamHeads;
  readonly assertOpen: () => void;
};

/**
 * Builds `readStream` for the JetStream engine: a walk along the aggregate's commit chain (see
 * {@link CommitChain}) from the latest version known to end a commit below `fromVersion`: the
 * loaded snapshot's version, or the cached head, else 0. A snapshot therefore makes a cold load a
 * few direct gets, whatever the stream's size.
 *
 * @example
 * ```ts
 * const readStream = createNatsReadStream({ subjectPrefix: 'tributary.evt.', chain, heads, assertOpen });
 * const events = await readStream('Account', 'a-1', { fromVersion: snapshot.version + 1 });
 * ```
 */
export function createNatsReadStream(deps: NatsReadStreamDeps) {
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
    const toVersion = options.toVersion ?? Infinity;
    if (toVersion !== Infinity && !Number.isSafeInteger(toVersion)) {
      throw new ValidationError(`toVersion must be an integer, got ${String(toVersion)}`, { aggregate, id });
    }
    if (toVersion < fromVersion) return [];
    const stem = `${deps.subjectPrefix}${aggregate}.${id}`;
    const head = deps.heads.entry(stem);
    const out: EventEnvelope[] = [];
    const settle = (walked: ChainWalk) => {
      // Only a walk that found the empty next version knows the head.
      if (walked.version < toVersion) advanceHead(head, walked.version, walked.seq);
      for (const c of walked.commits) for (const e of toEnvelopes(c.record, c.seq)) if (e.version >= fromVersion && e.version <= toVersion) out.push(e);
      return out;
    };
    // Start from the latest known point before fromVersion. A head at or past fromVersion (this
    // node appended since the snapshot: an instance reloaded after a failed append) is no start,
    // but the snapshot hint still is; walking from 0 instead made the reload a consumer read,
    // which waits for the meta and stream leaders during a cluster election.
    let start = { version: 0, seq: 0 };
    const fromHead = head.known && head.version < fromVersion;
    const fromHint = head.hintSeq >= 0 && head.hintVersion < fromVersion && !(fromHead && head.version >= head.hintVersion);
    if (fromHint) start = { version: head.hintVersion, seq: head.hintSeq };
    else if (fromHead) start = { version: head.version, seq: head.seq };
    if (start.version < fromVersion - 1) {
      // Readers usually start at a commit (a catch-up after the instance's version, a retried
      // command's commit): one direct get of the commit built on fromVersion - 1 proves it (a
      // commit only builds on a commit's end), and the walk goes on from there, not from an
      // earlier point or from version 0 through a consumer, which waits for the meta leader
      // during an election. The sequence 0 is never used: a consumer starts after the last
      // commit the direct gets found.
      const direct = await deps.chain.walk(stem, fromVersion - 1, 0, toVersion);
      if (direct.commits.length > 0) return settle(direct);
    }

    let walked = await deps.chain.walk(stem, start.version, start.seq, toVersion);
    if (fromHint && walked.commits.length === 0 && !(await deps.chain.endsAt(stem, start.version, start.seq))) {
      // A found commit proves the hint is a commit's end (a commit only builds on one); finding
      // none does not, and a snapshot must never change the result: start over from version 0.
      head.hintSeq = -1;
      walked = await deps.chain.walk(stem, 0, 0, toVersion);
    }
    return settle(walked);
  };
}
