import { errors as natsErrors, type Msg } from '@nats-io/transport-node';

/**
 * Whether NATS answered "no responders": nothing is subscribed to the subject, so nothing received
 * the request, and sending it again later is safe. The server says so with a 503 status message.
 *
 * @example
 * ```ts
 * if (isNoRespondersStatus(msg)) retryLater();
 * ```
 */
export function isNoRespondersStatus(msg: Msg): boolean {
  return msg.headers?.code === 503;
}

/**
 * Whether a failed `nc.request` was "no responders" (nats.js reports it with either of two error
 * classes, depending on the request path).
 *
 * @example
 * ```ts
 * await nc.request(subject, data, { timeout: 1000 }).catch((err) => (isNoResponders(err) ? undefined : Promise.reject(err)));
 * ```
 */
export function isNoResponders(err: unknown): boolean {
  return err instanceof natsErrors.NoRespondersError || (err instanceof natsErrors.RequestError && err.isNoResponders());
}
