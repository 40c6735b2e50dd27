import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';

/**
 * The fastest request path NATS-NOTES measured: `nc.publish` with a reply subject under ONE
 * wildcard inbox subscription, each reply read by `read`. No timers, no retries: a baseline, not
 * a client (a lost reply would hang the run, which then fails loudly by its own timeout).
 *
 * @example
 * ```ts
 * const inbox = createReplyInbox(nc, (data) => decode(data));
 * const reply = await inbox.request('svc.cmd.Account.a-1', bytes);
 * inbox.close();
 * ```
 */
export function createReplyInbox<R>(nc: NatsConnection, read: (data: Uint8Array) => R) {
  const inbox = `${createInbox()}.`;
  const waiting = new Map<number, (reply: R) => void>();
  let next = 0;
  const sub = nc.subscribe(`${inbox}*`, {
    callback: (err: Error | null, msg: Msg) => {
      if (err) return;
      const id = Number(msg.subject.slice(inbox.length));
      const resolve = waiting.get(id);
      if (resolve === undefined) return;
      waiting.delete(id);
      resolve(read(msg.data));
    },
  });
  return {
    request(subject: string, data: Uint8Array, headers?: MsgHdrs): Promise<R> {
      const id = ++next;
      return new Promise<R>((resolve) => {
        waiting.set(id, resolve);
        nc.publish(subject, data, headers ? { reply: inbox + id, headers } : { reply: inbox + id });
      });
    },
    close(): void {
      sub.unsubscribe();
    },
  };
}
