import { DeliverPolicy, JetStreamApiError, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ClosedError, ConnectionError, TributaryError, ValidationError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { decodeCommitRecord, toCommit } from '../commitRecord.js';
import type { Commit, ReadBatchesOptions } from '../eventLog.js';
import type { ConnectionState } from './connectionState.js';
import { natsFailure } from './natsFailure.js';

/**
 * What {@link createNatsReadBatches} needs from the log.
 *
 * @example
 * ```ts
 * const deps: NatsReadBatchesDeps = { nc, js, stream: 'TRIBUTARY', subjects: 'tributary.evt.>', headPosition, connection, closing: ac.signal, track, logger };
 * ```
 */
export type NatsReadBatchesDeps = {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly stream: string;
  /** The commit subjects (`<prefix>.evt.>`): the stream's other messages are not commits. */
  readonly subjects: string;
  /** The last commit's position now, 0 for none. */
  readonly headPosition: () => Promise<number>;
  /** After a failure, pulls start again only once the connection is back. */
  readonly connection: ConnectionState;
  /** Aborted when the log closes, so every reader ends. */
  readonly closing: AbortSignal;
  /** Keeps a consumer deletion alive until the log closes. */
  readonly track: (cleanup: Promise<unknown>) => void;
  readonly logger: Logger;
};

// A pull waits this long for new commits before it is renewed. Short, because a consumer lost
// with a server restart is only noticed through missed heartbeats (half this time each).
const FETCH_EXPIRES_MS = 5_000;
// A reader that vanished without cleaning up leaves its consumer for at most this long.
const INACTIVE_THRESHOLD_MS = 60_000;
// Consecutive failed pulls (no message in between) before the read gives up.
const MAX_FAILURES = 10;
const STREAM_NOT_FOUND = 10059;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Builds `readBatches` for the JetStream engine on an ordered consumer (ephemeral, no acks,
 * flow-controlled). Durability is the reader's own checkpoint, so nothing is acknowledged.
 *
 * - Memory is bounded: each pull asks for at most `maxBatch` messages, and the next pull is only
 *   sent when that one is used up, i.e. when the reader keeps asking for batches.
 * - A batch is handed over as soon as it is full or nothing is pending, neither on the server
 *   (`info.pending === 0`) nor in the client's buffer, so a live reader sees a new commit at once.
 * - The reader keeps its own cursor (the next position it wants). When a pull fails (a server
 *   restart loses the in-memory consumer), it makes a new consumer from the cursor, with backoff:
 *   no gap, and a position below the cursor is never delivered twice.
 * - `live: false` stops at the last commit as of the start of the read.
 * - Only commit subjects are read: a refusal in the stream is skipped by the server.
 * - Aborting (or closing the log) stops the pull at once and deletes the consumer.
 *
 * @example
 * ```ts
 * const readBatches = createNatsReadBatches({ nc, js, stream: 'TRIBUTARY', subjects: 'tributary.evt.>', headPosition, connection, closing, track, logger });
 * for await (const batch of readBatches({ fromPosition: checkpoint + 1, maxBatch: 500 })) apply(batch);
 * ```
 */
export function createNatsReadBatches(deps: NatsReadBatchesDeps) {
  type OrderedConsumer = Awaited<ReturnType<JetStreamClient['consumers']['get']>>;

  const dropConsumer = (consumer: OrderedConsumer | undefined): void => {
    if (consumer === undefined || deps.nc.isClosed()) return;
    deps.track(
      consumer.delete().then(
        () => undefined,
        (err: unknown) => deps.logger.debug({ err, stream: deps.stream }, 'could not delete the reader consumer'),
      ),
    );
  };

  return async function* readBatches(options: ReadBatchesOptions = {}): AsyncGenerator<readonly Commit[]> {
    const maxBatch = options.maxBatch ?? 1000;
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) {
      throw new ValidationError(`maxBatch must be a positive integer, got ${String(maxBatch)}`);
    }
    if (deps.closing.aborted) throw new ClosedError('event log is closed');
    const live = options.live ?? true;
    let next = Math.max(1, Math.floor(options.fromPosition ?? 1));

    const stop = new AbortController();
    const abort = () => stop.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    deps.closing.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted) abort();

    let messages: ConsumerMessages | undefined;
    const stopPull = () => messages?.stop();
    stop.signal.addEventListener('abort', stopPull, { once: true });
    let consumer: OrderedConsumer | undefined;
    try {
      let stopAt = Number.POSITIVE_INFINITY;
      if (!live) {
        stopAt = await deps.headPosition();
        if (stopAt < next) return;
      }

      let failures = 0;
      while (!stop.signal.aborted) {
        const started = Date.now();
        let received = 0;
        let batch: Commit[] = [];
        try {
          consumer ??= await deps.js.consumers.get(deps.stream, {
            filter_subjects: deps.subjects,
            deliver_policy: DeliverPolicy.StartSequence,
            opt_start_seq: next,
            inactive_threshold: INACTIVE_THRESHOLD_MS,
          });
          if (stop.signal.aborted) break;
          messages = await consumer.fetch({ max_messages: maxBatch, expires: FETCH_EXPIRES_MS });
          if (stop.signal.aborted) break;
          for await (const m of messages) {
            received += 1;
            if (m.seq < next) continue;
            if (m.seq > stopAt) return;
            batch.push(toCommit(decodeCommitRecord(m.data), m.seq));
            next = m.seq + 1;
            if (m.seq === stopAt) {
              yield batch;
              return;
            }
            // `info.pending` is the server's count when it sent this message; a reader that fell
            // behind gets it as 0 while more are already buffered here, and handing over tiny
            // batches then keeps it behind. Both must be empty for "caught up".
            if (batch.length >= maxBatch || (m.info.pending === 0 && messages.getPending() === 0)) {
              const full = batch;
              batch = [];
              yield full;
            }
          }
        } catch (err) {
          if (err instanceof TributaryError) throw err; // a corrupt record is not worth retrying
          if (stop.signal.aborted) break;
          if (deps.nc.isClosed()) {
            throw new ClosedError('the NATS connection closed while reading the log', undefined, { cause: err });
          }
          if (err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND) {
            throw new ConnectionError(`reading the log: stream ${deps.stream} does not exist`, { stream: deps.stream }, {
              cause: err,
            });
          }
          failures = received > 0 ? 1 : failures + 1;
          if (failures >= MAX_FAILURES) {
            throw natsFailure(err, `reading ${deps.stream} from position ${next} (failed ${failures} times in a row)`);
          }
          deps.logger.warn({ err, stream: deps.stream, position: next, failures }, 'pulling from the log failed; retrying');
          if (batch.length > 0) yield batch;
          dropConsumer(consumer);
          consumer = undefined;
          await sleep(Math.min(100 * 2 ** (failures - 1), 5000), stop.signal);
          await deps.connection.whenConnected(stop.signal);
          continue;
        }
        if (batch.length > 0) yield batch;
        if (stop.signal.aborted) break;
        if (deps.nc.isClosed()) throw new ClosedError('the NATS connection closed while reading the log');
        if (received > 0) {
          failures = 0;
        } else if (Date.now() - started < FETCH_EXPIRES_MS / 2) {
          // An empty pull that ended long before it expired: something is wrong; start afresh.
          failures += 1;
          if (failures >= MAX_FAILURES) {
            throw new ConnectionError(`reading ${deps.stream}: the consumer keeps ending without messages`, {
              stream: deps.stream,
            });
          }
          dropConsumer(consumer);
          consumer = undefined;
          await sleep(Math.min(100 * 2 ** (failures - 1), 5000), stop.signal);
          await deps.connection.whenConnected(stop.signal);
        }
      }
    } finally {
      options.signal?.removeEventListener('abort', abort);
      deps.closing.removeEventListener('abort', abort);
      stop.signal.removeEventListener('abort', stopPull);
      messages?.stop();
      dropConsumer(consumer);
    }
  };
}
