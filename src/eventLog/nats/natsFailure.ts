import { JetStreamApiError } from '@nats-io/jetstream';
import { errors as natsErrors } from '@nats-io/transport-node';
import { ClosedError, ConnectionError, InternalError, TimeoutError, TributaryError } from '../../errors.js';
import { isNoResponders } from '../../nats/noResponders.js';

// "JetStream system temporarily unavailable" (status 503).
const CLUSTER_NOT_AVAILABLE = 10008;

/**
 * Whether a JetStream API error (its HTTP-like `status` and `err_code`) is "temporarily
 * unavailable": a meta or stream leader election, after which the same request succeeds. Resource
 * limits answer 503 too (10047 "insufficient storage"), and retrying does not help them: not these.
 *
 * @example
 * ```ts
 * if (!ack.ok && isTemporarilyUnavailable(ack.code, ack.errCode)) throw new TimeoutError('retry with the same commandId');
 * ```
 */
export function isTemporarilyUnavailable(status: number, errCode: number): boolean {
  return errCode === CLUSTER_NOT_AVAILABLE || (status === 503 && !errCode);
}

/**
 * Turns a nats.js failure into a Tributary error that says what was being done.
 *
 * @example
 * ```ts
 * try { await nc.request(subject, data, { timeout }); } catch (err) { throw natsFailure(err, `reading ${subject}`); }
 * ```
 */
export function natsFailure(err: unknown, doing: string): TributaryError {
  if (err instanceof TributaryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof natsErrors.TimeoutError) {
    return new TimeoutError(`${doing}: NATS did not answer in time`, undefined, { cause: err });
  }
  if (err instanceof natsErrors.ClosedConnectionError || err instanceof natsErrors.DrainingConnectionError) {
    return new ClosedError(`${doing}: the NATS connection is closed`, undefined, { cause: err });
  }
  if (isNoResponders(err)) {
    return new ConnectionError(`${doing}: nothing answered (is JetStream running and the stream there?)`, undefined, {
      cause: err,
    });
  }
  if (err instanceof JetStreamApiError && isTemporarilyUnavailable(err.status, err.code)) {
    // Nothing was done, and the same request succeeds once a leader is up: retryable, not a bug.
    return new ConnectionError(`${doing}: JetStream is temporarily unavailable (${message}); retry shortly`, undefined, { cause: err });
  }
  return new InternalError(`${doing}: ${message}`, undefined, { cause: err });
}
