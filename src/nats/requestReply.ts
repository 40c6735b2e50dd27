import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { isNoRespondersStatus } from './noResponders.js';

/**
 * How a request ended when it did not end by a reply its handler wanted last:
 * - `timeout`: no (further) reply within the time allowed;
 * - `noResponders`: NATS answered "no responders" (503) and the requester's policy, or the
 *   deadline, said not to send again; nothing received the request;
 * - `closed`: the requester (`by: 'requester'`) or the connection (`by: 'connection'`) closed first;
 * - `unsent`: publishing threw (`connectionClosed` tells whether the connection was closed or draining);
 * - `failed`: the reply subscription failed, or the handler threw on a reply.
 *
 * @example
 * ```ts
 * const onEnd = (end: RequestEnd) => console.log(end.kind === 'failed' ? end.error : end.kind);
 * ```
 */
export type RequestEnd =
  | { readonly kind: 'timeout' }
  | { readonly kind: 'noResponders' }
  | { readonly kind: 'closed'; readonly by: 'requester' | 'connection' }
  | { readonly kind: 'unsent'; readonly error: unknown; readonly connectionClosed: boolean }
  | { readonly kind: 'failed'; readonly error: unknown };

/**
 * What a request does with its replies.
 *
 * @example
 * ```ts
 * const handler: ReplyHandler = { onReply: (msg) => (console.log(msg.string()), true), onEnd: (end) => console.log(end.kind) };
 * ```
 */
export type ReplyHandler = {
  /** A reply (never a "no responders" status). Returns true when no further reply is wanted. */
  onReply(msg: Msg): boolean;
  /** Called once if the request ends otherwise: never after `onReply` returned true, nor after a cancel. */
  onEnd(end: RequestEnd): void;
};

/**
 * Options of one {@link Requester.request}.
 *
 * @example
 * ```ts
 * requester.request('svc.status', new Uint8Array(0), { timeout: 2000, nextTimeout: 250 }, handler);
 * ```
 */
export type RequestOptions = {
  /** Milliseconds from sending to the first reply. */
  readonly timeout: number;
  readonly headers?: MsgHdrs;
  /** For a request answered by several replies: after each, the milliseconds to wait for the next. Default: the first deadline stays. */
  readonly nextTimeout?: number;
};

/**
 * Options of {@link createRequester}; they hold for every request it sends.
 *
 * @example
 * ```ts
 * const options: RequesterOptions = { resendAfter: 1000, retryNoResponders: (attempt) => Math.min(50 * attempt, 500) };
 * ```
 */
export type RequesterOptions = {
  /** Sends a request again after this many milliseconds without an answer, until its deadline. Only for requests safe to repeat. */
  readonly resendAfter?: number;
  /** After the `attempt`-th "no responders": milliseconds to wait before sending again, or undefined to end at once. Default: end at once. */
  readonly retryNoResponders?: (attempt: number) => number | undefined;
  /** Leaves the inbox once nothing waits (and subscribes again at the next request): for a client without a close. */
  readonly unsubscribeWhenIdle?: boolean;
};

/**
 * Request/reply over one NATS connection, with many requests in flight.
 *
 * @example
 * ```ts
 * const requester = createRequester(nc);
 * const cancel = requester.request('svc.echo', data, { timeout: 1000 }, { onReply: () => true, onEnd: (end) => console.log(end.kind) });
 * requester.close();
 * ```
 */
export type Requester = {
  /** Sends `data` to `subject` with a reply subject of its own; returns a cancel that ends it silently. */
  request(subject: string, data: Uint8Array, options: RequestOptions, handler: ReplyHandler): () => void;
  /** Sends again every request still waiting, except those waiting to retry after "no responders". */
  resendPending(): void;
  /** Requests waiting for a reply. */
  readonly inFlight: number;
  /** Ends every request still waiting (`closed`, by the requester), now and later, and unsubscribes. Idempotent. */
  close(): void;
};

type Pending = {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
  readonly nextTimeout: number | undefined;
  readonly handler: ReplyHandler;
  deadline: number;
  sentAt: number;
  /** Set while waiting to send again after "no responders": then nothing has the request. */
  retryAt: number | undefined;
  noResponders: number;
};

// Deadlines, resends and retries are checked by one interval while anything waits, not by a timer
// per request: the log's publish path runs tens of thousands of requests a second, and a timer
// set and cleared per request would cost it a few percent.
const TICK_MS = 20;

/**
 * Creates the one request/reply path of Tributary's NATS clients (the log's JetStream publisher,
 * the command client, the view client). Every request is a plain `nc.publish` with a reply
 * subject `<inbox>.<n>` under ONE wildcard inbox subscription (made at the first request, and
 * again after it failed), so replies may come in any order, several per request, with no Error
 * objects built per request (whatever the connection's `noAsyncTraces`). The connection's
 * `inboxPrefix` is honoured. A late reply, after its request ended, is dropped.
 *
 * @example
 * ```ts
 * const requester = createRequester(nc, { retryNoResponders: (attempt) => Math.min(25 * 2 ** attempt, 500) });
 * const reply = await new Promise<Msg>((resolve, reject) => {
 *   requester.request('svc.echo', new TextEncoder().encode('hi'), { timeout: 2000 }, {
 *     onReply: (msg) => (resolve(msg), true),
 *     onEnd: (end) => reject(new Error(end.kind)),
 *   });
 * });
 * ```
 */
export function createRequester(nc: NatsConnection, options: RequesterOptions = {}): Requester {
  const { resendAfter, retryNoResponders, unsubscribeWhenIdle } = options;
  // The public NatsConnection type does not expose the options; the implementation does (nats.js reads it too).
  const inboxPrefix = (nc as NatsConnection & { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
  const inbox = `${createInbox(inboxPrefix)}.`;
  const pending = new Map<number, Pending>();
  let next = 0;
  let closed = false;
  let sub: Subscription | undefined;
  let sweep: NodeJS.Timeout | undefined;

  const end = (id: number, p: Pending, how: RequestEnd): void => {
    if (pending.get(id) !== p) return;
    pending.delete(id);
    p.handler.onEnd(how);
  };

  const endAll = (how: RequestEnd): void => {
    for (const [id, p] of [...pending]) end(id, p, how);
  };

  const send = (id: number, p: Pending): void => {
    p.sentAt = Date.now();
    try {
      nc.publish(p.subject, p.data, p.headers ? { reply: inbox + id, headers: p.headers } : { reply: inbox + id });
    } catch (error) {
      end(id, p, { kind: 'unsent', error, connectionClosed: nc.isClosed() || nc.isDraining() });
    }
  };

  const onMessage = (err: Error | null, msg: Msg): void => {
    if (err) {
      // The subscription is gone (nats.js closes it on a permissions error): no reply can come.
      sub = undefined;
      endAll({ kind: 'failed', error: err });
      return;
    }
    const id = Number(msg.subject.slice(inbox.length));
    const p = pending.get(id);
    if (p === undefined) return; // a late reply to a request that ended
    if (isNoRespondersStatus(msg)) {
      p.noResponders += 1;
      const wait = closed ? undefined : retryNoResponders?.(p.noResponders);
      // Keep asking until the deadline, and only then say "no responders": a node may be starting.
      if (wait === undefined) end(id, p, { kind: 'noResponders' });
      else p.retryAt = Math.min(Date.now() + wait, p.deadline);
      return;
    }
    let done: boolean;
    try {
      done = p.handler.onReply(msg);
    } catch (error) {
      end(id, p, { kind: 'failed', error });
      return;
    }
    if (done) pending.delete(id);
    else if (p.nextTimeout !== undefined) p.deadline = Date.now() + p.nextTimeout;
  };

  const subscribe = (): void => {
    if (sub !== undefined) return;
    const s = nc.subscribe(`${inbox}*`, { callback: onMessage });
    sub = s;
    void s.closed.then(() => {
      if (sub !== s) return; // replaced after a failure, or unsubscribed by close()
      sub = undefined;
      endAll({ kind: 'closed', by: 'connection' });
    });
  };

  const unsubscribe = (): void => {
    const s = sub;
    sub = undefined;
    if (s !== undefined && !s.isClosed() && !nc.isClosed()) s.unsubscribe();
  };

  const tick = (): void => {
    if (pending.size === 0) {
      clearInterval(sweep);
      sweep = undefined;
      if (unsubscribeWhenIdle) unsubscribe();
      return;
    }
    const now = Date.now();
    for (const [id, p] of pending) {
      if (now >= p.deadline) end(id, p, p.retryAt === undefined ? { kind: 'timeout' } : { kind: 'noResponders' });
      else if (p.retryAt !== undefined) {
        if (now >= p.retryAt) {
          p.retryAt = undefined;
          send(id, p);
        }
      } else if (resendAfter !== undefined && now - p.sentAt >= resendAfter) send(id, p);
    }
  };

  return {
    request(subject, data, { timeout, headers, nextTimeout }, handler) {
      const id = ++next;
      const p: Pending = { subject, data, headers, nextTimeout, handler, deadline: Date.now() + timeout, sentAt: 0, retryAt: undefined, noResponders: 0 };
      const cancel = () => void (pending.get(id) === p && pending.delete(id));
      if (closed) {
        handler.onEnd({ kind: 'closed', by: 'requester' });
        return cancel;
      }
      try {
        subscribe();
      } catch (error) {
        handler.onEnd({ kind: 'unsent', error, connectionClosed: nc.isClosed() || nc.isDraining() });
        return cancel;
      }
      pending.set(id, p);
      sweep ??= setInterval(tick, TICK_MS);
      send(id, p);
      return cancel;
    },
    resendPending() {
      if (closed) return;
      for (const [id, p] of [...pending]) if (p.retryAt === undefined) send(id, p);
    },
    get inFlight() {
      return pending.size;
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      sweep = undefined;
      endAll({ kind: 'closed', by: 'requester' });
      unsubscribe();
    },
  };
}
