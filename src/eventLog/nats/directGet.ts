import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { ClosedError, ConnectionError, InternalError, TimeoutError, type TributaryError } from '../../errors.js';
import { createRequester, type RequestEnd } from '../../nats/requestReply.js';
import { natsFailure } from './natsFailure.js';

/**
 * A message read by a direct get: its stream sequence, subject and body.
 *
 * @example
 * ```ts
 * const last = await direct.last('tributary.evt.Account.a-1'); // { seq: 42, subject: '...', data }
 * ```
 */
export type DirectMessage = { readonly seq: number; readonly subject: string; readonly data: Uint8Array };

/**
 * Direct gets (stream `allow_direct: true`) on one stream: answered without a consumer, in about
 * 0.1 ms. `undefined` means no such message.
 *
 * @example
 * ```ts
 * const direct = createDirectGet(nc, 'TRIBUTARY', 5000);
 * const first = await direct.next('tributary.evt.Account.a-1', 1);
 * ```
 */
export type DirectGet = {
  /** The last message on `subject` (`last_by_subj`). */
  last(subject: string): Promise<DirectMessage | undefined>;
  /** The message at stream sequence `seq`. */
  bySeq(seq: number): Promise<DirectMessage | undefined>;
  /** The first message on `subject` at or after stream sequence `seq` (`next_by_subj`). */
  next(subject: string, seq: number): Promise<DirectMessage | undefined>;
};

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

// What ended a direct get without an answer, as the error natsFailure would give for nc.request.
function endedWithout(end: RequestEnd, doing: string): TributaryError {
  switch (end.kind) {
    case 'timeout':
      return new TimeoutError(`${doing}: NATS did not answer in time`);
    case 'noResponders':
      return new ConnectionError(`${doing}: nothing answered (is JetStream running and the stream there?)`);
    case 'closed':
      return new ClosedError(`${doing}: the NATS connection is closed`);
    case 'unsent':
      return end.connectionClosed
        ? new ClosedError(`${doing}: the NATS connection is closed`, undefined, { cause: end.error })
        : natsFailure(end.error, doing);
    case 'failed':
      return natsFailure(end.error, doing);
  }
}

/**
 * Creates the direct-get reader of a stream. It sends the raw requests (`$JS.API.DIRECT.GET.<stream>`)
 * itself: the answer is the stored message with `Nats-Sequence` and `Nats-Subject` headers, or a
 * 404 status. The requests go through the shared {@link createRequester}, not `nc.request`:
 * nats.js builds an Error with its stack trace for every request it ends (even a successful
 * one), which cost more than the direct get itself on the write path's catch-ups. The inbox
 * subscription is left once nothing waits, so a log on a borrowed connection leaves nothing
 * behind.
 *
 * @example
 * ```ts
 * const direct = createDirectGet(nc, 'TRIBUTARY', 5000);
 * const msg = await direct.bySeq(17);
 * ```
 */
export function createDirectGet(nc: NatsConnection, stream: string, timeout: number): DirectGet {
  const api = `$JS.API.DIRECT.GET.${stream}`;
  const requester = createRequester(nc, { unsubscribeWhenIdle: true });

  const answer = (msg: Msg, doing: () => string): DirectMessage | undefined => {
    const code = msg.headers?.code ?? 0;
    if (code === 404) return undefined;
    if (code !== 0 || !msg.headers) {
      throw new InternalError(`${doing()}: JetStream answered ${code} ${msg.headers?.description ?? ''}`.trim(), {
        stream,
        code,
      });
    }
    return { seq: Number(msg.headers.get('Nats-Sequence')), subject: msg.headers.get('Nats-Subject'), data: msg.data };
  };

  const request = (subject: string, payload: Uint8Array, doing: () => string): Promise<DirectMessage | undefined> =>
    new Promise((resolve, reject) => {
      requester.request(subject, payload, { timeout }, {
        onReply(msg) {
          try {
            resolve(answer(msg, doing));
          } catch (err) {
            reject(err);
          }
          return true;
        },
        onEnd: (end) => reject(endedWithout(end, doing())),
      });
    });

  return {
    last: (subject) => request(`${api}.${subject}`, EMPTY, () => `reading the last message of ${subject} in ${stream}`),
    bySeq: (seq) =>
      request(api, encoder.encode(`{"seq":${seq}}`), () => `reading the message at sequence ${seq} of ${stream}`),
    next: (subject, seq) =>
      request(api, encoder.encode(JSON.stringify({ seq, next_by_subj: subject })), () => `reading ${subject} from sequence ${seq} in ${stream}`),
  };
}
