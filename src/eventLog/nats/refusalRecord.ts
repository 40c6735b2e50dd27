import { decode, encode } from '../../codec/msgpack.js';
import { InternalError } from '../../errors.js';
import type { Refusal } from '../eventLog.js';

/**
 * The subject of an aggregate's refusals, `<prefix>.rej.<Aggregate>.<id>`: in the log's stream
 * (so one `Nats-Msg-Id` dedupe decides between a commit and a refusal of one commandId) but outside
 * `<prefix>.evt.>`, which is all that readers, chain walks and `headPosition` look at.
 *
 * @example
 * ```ts
 * refusalSubject('tributary', 'Account', 'a-1'); // 'tributary.rej.Account.a-1'
 * ```
 */
export function refusalSubject(prefix: string, aggregate: string, id: string): string {
  return `${prefix}.rej.${aggregate}.${id}`;
}

/**
 * The message body of a refusal: msgpack of the {@link Refusal}.
 *
 * @example
 * ```ts
 * const body = encodeRefusal({ aggregate: 'Account', id: 'a-1', commandId: 'c-1', timestamp: 0, answer: 'no' });
 * ```
 */
export function encodeRefusal(refusal: Refusal): Uint8Array {
  return encode(refusal);
}

/**
 * Reads a refusal back; anything else on a refusal subject is an {@link InternalError}.
 *
 * @example
 * ```ts
 * const { answer } = decodeRefusal(msg.data, msg.seq);
 * ```
 */
export function decodeRefusal(bytes: Uint8Array, seq: number): Refusal {
  const value = decode(bytes) as Partial<Refusal> | null;
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof value.aggregate !== 'string' ||
    typeof value.id !== 'string' ||
    typeof value.commandId !== 'string' ||
    typeof value.timestamp !== 'number'
  ) {
    throw new InternalError(`the refusal at position ${seq} is not one Tributary wrote`, { position: seq });
  }
  return { aggregate: value.aggregate, id: value.id, commandId: value.commandId, timestamp: value.timestamp, answer: value.answer };
}
