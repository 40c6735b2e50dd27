import type { NatsConnection, Status } from '@nats-io/transport-node';
import type { Logger } from '../../logging/logger.js';

/**
 * Whether a NATS connection is up, from its status events. nats.js drops what is sent while it is
 * disconnected, so the log waits for `reconnect` before sending again rather than letting
 * requests time out.
 *
 * @example
 * ```ts
 * const state = watchConnection(nc, logger);
 * state.onReconnect(() => resendPending());
 * await state.whenConnected(signal);
 * state.stop();
 * ```
 */
export type ConnectionState = {
  readonly connected: boolean;
  /** Resolves at once when connected, else at the next reconnect (or when `signal` aborts). */
  whenConnected(signal?: AbortSignal): Promise<void>;
  /** Calls `listener` after every reconnect. */
  onReconnect(listener: () => void): void;
  /** Stops watching (the connection itself is left alone). */
  stop(): void;
};

/**
 * Starts watching a connection's status events; logs disconnects and reconnects.
 *
 * @example
 * ```ts
 * const state = watchConnection(nc, logger);
 * if (!state.connected) await state.whenConnected();
 * ```
 */
export function watchConnection(nc: NatsConnection, logger: Logger): ConnectionState {
  let connected = !nc.isClosed();
  const listeners: Array<() => void> = [];
  let waiters: Array<() => void> = [];
  // The implementation returns a QueuedIterator, whose stop() ends the loop below at once.
  const status = nc.status() as AsyncIterable<Status> & { stop?: () => void };

  void (async () => {
    for await (const s of status) {
      if (s.type === 'disconnect') {
        connected = false;
        logger.warn({ server: s.server }, 'NATS connection lost; reconnecting');
      } else if (s.type === 'reconnect') {
        connected = true;
        logger.warn({ server: s.server }, 'NATS connection restored');
        const woken = waiters;
        waiters = [];
        for (const wake of woken) wake();
        for (const listener of listeners) listener();
      }
    }
  })();

  return {
    get connected() {
      return connected;
    },
    whenConnected(signal) {
      if (connected || signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        waiters.push(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    },
    onReconnect(listener) {
      listeners.push(listener);
    },
    stop() {
      status.stop?.();
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    },
  };
}
