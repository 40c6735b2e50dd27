import { decode, encode } from '../../codec/msgpack.js';
import { CodecError, InternalError, ValidationError } from '../../errors.js';
import type { Snapshot, SnapshotStore } from '../eventLog.js';
import { assertAggregateId, assertAggregateName } from '../subjectToken.js';
import type { DirectGet } from './directGet.js';
import type { JetStreamPublisher } from './jetStreamPublisher.js';

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The snapshot store of the JetStream engine: one message per aggregate on
 * `<prefix>.snap.<Aggregate>.<id>` in a stream that keeps one message per subject
 * (`max_msgs_per_subject: 1`, `allow_direct`). The body is msgpack `{ version, position, state }`.
 *
 * Why a stream rather than a KV bucket: a KV bucket is the same kind of stream underneath, but KV
 * keys allow fewer characters than subject tokens (`:` or `@` in an id would need an encoding), so
 * the plain stream keeps the event subject's naming, and a load is one direct get with no extra
 * client state.
 *
 * `onKnown` is told the (version, position) pair of every snapshot loaded or saved: readStream uses
 * it to start reading the tail right after the snapshot instead of at the stream's start.
 *
 * @example
 * ```ts
 * const snapshots = createNatsSnapshotStore({ prefix: 'tributary', publisher, direct, onKnown: () => {} });
 * await snapshots.save('Account', 'a-1', { version: 10, position: 4711, state });
 * ```
 */
export function createNatsSnapshotStore(deps: {
  prefix: string;
  publisher: JetStreamPublisher;
  direct: DirectGet;
  onKnown: (aggregate: string, id: string, version: number, position: number) => void;
  assertOpen: () => void;
}): SnapshotStore {
  const subjectOf = (aggregate: string, id: string) => `${deps.prefix}.snap.${aggregate}.${id}`;
  return {
    async load(aggregate, id) {
      deps.assertOpen();
      assertAggregateName(aggregate);
      assertAggregateId(id);
      const msg = await deps.direct.last(subjectOf(aggregate, id));
      if (msg === undefined) return undefined;
      const value = decode(msg.data) as Partial<Snapshot> | null;
      if (value === null || typeof value !== 'object' || !isCount(value.version) || !isCount(value.position)) {
        throw new CodecError(`the stored snapshot of ${aggregate}/${id} has the wrong shape`, { aggregate, id });
      }
      deps.onKnown(aggregate, id, value.version, value.position);
      return { version: value.version, position: value.position, state: value.state };
    },
    async save(aggregate, id, snapshot) {
      deps.assertOpen();
      assertAggregateName(aggregate);
      assertAggregateId(id);
      if (!isCount(snapshot.version) || !isCount(snapshot.position)) {
        throw new ValidationError('a snapshot needs a non-negative integer version and position', { aggregate, id });
      }
      // The pair is a commit's end whether or not the save goes through: a read may start there
      // at once, not only after the ack (which waits out an election of the snapshot stream).
      deps.onKnown(aggregate, id, snapshot.version, snapshot.position);
      const ack = await deps.publisher.publish(
        subjectOf(aggregate, id),
        encode({ version: snapshot.version, position: snapshot.position, state: snapshot.state }),
      );
      if (!ack.ok) {
        throw new InternalError(`JetStream refused the snapshot of ${aggregate}/${id}: ${ack.description}`, {
          aggregate,
          id,
          errCode: ack.errCode,
        });
      }
    },
  };
}
