import type { NatsConnection, Status } from '@nats-io/transport-node';

/**
 * Whether a NATS connection is up right now and how often it came back, for metrics and readiness.
 *
 * @example
 * ```ts
 * const status = watchNatsStatus(app.log.connection);
 * if (!status.connected) console.log('disconnected; reconnects so far:', status.reconnects);
 * status.stop();
 * ```
 */
export type NatsStatus = {
  readonly connected: boolean;
  readonly reconnects: number;
  stop(): void;
};

/**
 * Follows a connection's status events (disconnect, reconnect) until `stop()` or its close.
 *
 * @example
 * ```ts
 * const status = watchNatsStatus(nc);
 * ```
 */
export function watchNatsStatus(nc: NatsConnection): NatsStatus {
  let down = false;
  let reconnects = 0;
  // The implementation returns a QueuedIterator, whose stop() ends the loop below at once.
  const events = nc.status() as AsyncIterable<Status> & { stop?: () => void };
  void (async () => {
    for await (const s of events) {
      if (s.type === 'disconnect') down = true;
      else if (s.type === 'reconnect') {
        down = false;
        reconnects++;
      }
    }
  })();
  return {
    get connected() {
      return !down && !nc.isClosed();
    },
    get reconnects() {
      return reconnects;
    },
    stop() {
      events.stop?.();
    },
  };
}
