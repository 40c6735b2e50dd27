import { hostname } from 'node:os';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { encode } from '../codec/msgpack.js';
import { ConfigError, InternalError, toErrorShape } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { Projections } from '../projection/createProjections.js';
import type { RebuildProgress, ViewChange } from '../projection/projection.js';
import { DEFAULT_VIEWS_QUEUE, viewRequestSubjects } from './viewSubjects.js';
import { decodeViewQuery, type ReadNodeStatus, type RebuildMessage, type ViewQueryChunk } from './viewWire.js';

/**
 * Options of {@link createViewService}.
 *
 * @example
 * ```ts
 * const options: ViewServiceOptions = { nc: log.connection, prefix: 'tributary', projections, logger };
 * ```
 */
export type ViewServiceOptions = {
  /** The connection to serve on; the service never closes it. */
  readonly nc: NatsConnection;
  readonly prefix: string;
  /** The projections this read node hosts. */
  readonly projections: Projections;
  /** Queue group of the query subjects. Default `tributary-views`. */
  readonly queue?: string;
  /** This node's name in status and rebuild replies. Default `<hostname>:<pid>`. */
  readonly node?: string;
  readonly logger: Logger;
};

/**
 * A read node's request service.
 *
 * @example
 * ```ts
 * const service = await createViewService({ nc, prefix: 'tributary', projections, logger });
 * await service.stop();
 * ```
 */
export type ViewService = {
  readonly node: string;
  readonly subjects: readonly string[];
  /** Stops answering: drains the subscriptions and waits for the queries in flight. Rebuilds in flight go on. Idempotent. */
  stop(): Promise<void>;
};

// A reply chunk stays well under the server's max_payload (1 MiB by default).
const MAX_CHUNK_BYTES = 256 * 1024;
const PROGRESS_EVERY_MS = 250;

/**
 * Serves a read node's views over NATS request/reply:
 * - `<prefix>.views.query.<projection>` (queue group): a {@link ViewQuery}; the reply is the
 *   state of the view (or of one key) with the checkpoint it is consistent with, in chunks of at
 *   most 256 KiB ({@link ViewQueryChunk}). This is what lets a remote watcher resume without a gap.
 * - `<prefix>.views.status`: every node answers `{ node, projections: [status...] }`.
 * - `<prefix>.views.rebuild.<projection>`: every node hosting it rebuilds it, and streams
 *   `started`, `progress` (at most every 250 ms) and `done` or `failed` to the reply subject.
 *
 * Bad requests get an `{ ok: false, error }` reply and never stop the service.
 *
 * @example
 * ```ts
 * const projections = await createProjections({ log, path: './data/views', projections: [AccountBalance], publish: createViewPublisher({ nc, prefix, logger }) });
 * projections.start();
 * const service = await createViewService({ nc, prefix, projections, logger });
 * ```
 */
export async function createViewService(options: ViewServiceOptions): Promise<ViewService> {
  const { nc, prefix, projections } = options;
  const queue = options.queue ?? DEFAULT_VIEWS_QUEUE;
  const node = options.node ?? `${hostname()}:${process.pid}`;
  const logger = options.logger.child({ component: 'viewService', node });
  if (projections.names.length === 0) throw new ConfigError('the view service needs at least one projection');
  const subjects = viewRequestSubjects(prefix);
  const inFlight = new Set<Promise<void>>();

  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  const send = (replyTo: string, body: unknown): void => {
    try {
      nc.publish(replyTo, encode(body));
    } catch (err) {
      logger.warn({ err, replyTo }, 'cannot reply to a view request');
    }
  };
  const needsReply = (msg: Msg): msg is Msg & { reply: string } => {
    if (msg.reply) return true;
    logger.warn({ subject: msg.subject }, 'dropped a view request without a reply subject');
    return false;
  };

  const query = async (name: string, msg: Msg & { reply: string }): Promise<void> => {
    try {
      const request = decodeViewQuery(msg.data);
      const projection = projections.get(name);
      if (request.minPosition !== undefined) await projection.waitFor(request.minPosition, { timeout: request.timeout });
      // changesFrom replays the state synchronously, all at the durable checkpoint C it was read
      // with; nothing is replayed when C < fromPosition (then nothing at or after it was missed).
      const from = request.fromPosition ?? 1;
      const replay: ViewChange[] = [];
      projection.changesFrom(from, request.key === undefined ? {} : { key: request.key }).subscribe((c) => replay.push(c)).unsubscribe();
      // Without a replay the view has committed nothing at or after `from`: a follower needs every
      // change from `from` on.
      const position = replay[0]?.position ?? from - 1;
      let entries: { key: string; value: unknown }[] = [];
      let size = 0;
      let chunk = 0;
      const flush = (last: boolean) => {
        const body: ViewQueryChunk = { ok: true, projection: name, position, entries, chunk: chunk++, last };
        nc.publish(msg.reply, encode(body));
        entries = [];
        size = 0;
      };
      for (const { key, value } of replay) {
        // Measured one entry at a time, so that no chunk can outgrow max_payload.
        const bytes = encode({ key, value }).byteLength;
        const max = Math.min(MAX_CHUNK_BYTES, nc.info?.max_payload ?? Infinity);
        if (bytes + 256 > max) {
          throw new InternalError(`the value at key ${JSON.stringify(key)} of ${name} is ${bytes} bytes: more than one NATS message may carry`, {
            projection: name,
            key,
            size: bytes,
          });
        }
        if (size + bytes + 256 > max) flush(false);
        entries.push({ key, value });
        size += bytes;
      }
      flush(true);
    } catch (err) {
      const error = toErrorShape(err);
      if (error.code === 'internal') logger.error({ err, projection: name }, 'view query failed');
      send(msg.reply, { ok: false, error } satisfies ViewQueryChunk);
    }
  };

  const status = async (msg: Msg & { reply: string }): Promise<void> => {
    const body: ReadNodeStatus = { node, projections: await projections.statuses() };
    send(msg.reply, body);
  };

  const rebuild = async (name: string, msg: Msg & { reply: string }): Promise<void> => {
    const reply = (m: RebuildMessage) => send(msg.reply, m);
    reply({ type: 'started', node });
    let sentAt = 0;
    const onProgress = (p: RebuildProgress) => {
      const now = Date.now();
      if (now - sentAt < PROGRESS_EVERY_MS) return;
      sentAt = now;
      reply({ type: 'progress', node, position: p.position, headPosition: p.headPosition });
    };
    try {
      const result = await projections.get(name).rebuild({ onProgress });
      reply({ type: 'done', node, result });
    } catch (err) {
      reply({ type: 'failed', node, error: toErrorShape(err) });
    }
  };

  const subscribe = (subject: string, handle: (msg: Msg & { reply: string }) => Promise<void>, opts: { queue?: string; wait: boolean }) =>
    nc.subscribe(subject, {
      ...(opts.queue ? { queue: opts.queue } : {}),
      callback: (err, msg) => {
        if (err) {
          logger.error({ err, subject }, 'a view subscription failed');
          return;
        }
        if (!needsReply(msg)) return;
        const work = handle(msg).catch((unexpected: unknown) => logger.error({ err: unexpected, subject: msg.subject }, 'view request failed'));
        if (opts.wait) track(work);
      },
    });

  const subs: Subscription[] = [subscribe(subjects.status, status, { wait: true })];
  for (const name of projections.names) {
    subs.push(subscribe(subjects.query(name), (msg) => query(name, msg), { queue, wait: true }));
    // A rebuild is not waited for on stop: closing the projections aborts it (reported as failed).
    subs.push(subscribe(subjects.rebuild(name), (msg) => rebuild(name, msg), { wait: false }));
  }
  try {
    await nc.flush();
  } catch (err) {
    for (const sub of subs) sub.unsubscribe();
    throw err;
  }
  logger.info({ subjects: subs.map((s) => s.getSubject()) }, 'serving views');

  let stopped: Promise<void> | undefined;
  return {
    node,
    subjects: subs.map((s) => s.getSubject()),
    stop() {
      stopped ??= (async () => {
        await Promise.allSettled(subs.map((s) => (s.isClosed() || nc.isClosed() ? undefined : s.drain())));
        await Promise.allSettled([...inFlight]);
      })();
      return stopped;
    },
  };
}
