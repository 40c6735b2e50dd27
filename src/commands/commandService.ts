import { headers, Match, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { ConfigError, InternalError, ValidationError, toErrorShape } from '../errors.js';
import { assertAggregateName } from '../eventLog/subjectToken.js';
import { createLogger, type Logger } from '../logging/logger.js';
import type { Observer } from '../observability/observer.js';
import { SpanAttributes, endWithError, startSpan, traceReceive } from '../observability/tracing.js';
import type { Command, CommandResult } from './command.js';
import {
  DEFAULT_COMMAND_PREFIX,
  DEFAULT_COMMAND_QUEUE,
  assertQueueName,
  assertSubjectPrefix,
} from './commandSubjects.js';
import { JSON_CONTENT_TYPE, decodeCommandBody, encodeCommandResult, toCommand } from './commandWire.js';
import type { ShardOwnership } from './shardOwnership.js';

/** Largest request body the service decodes by default: 512 KiB. */
export const DEFAULT_MAX_COMMAND_BYTES = 512 * 1024;

// How long stop() waits for the server to confirm an unsubscribe before giving up on it (for
// example while the server is unreachable); in-flight commands are still awaited after that.
const DRAIN_TIMEOUT_MS = 5000;

/**
 * Options of {@link createCommandService}.
 *
 * @example
 * ```ts
 * const options: CommandServiceOptions = { nc, dispatch: app.send, aggregates: ['Account', 'Order'], prefix: 'shop' };
 * ```
 */
export type CommandServiceOptions = {
  /** The connection to serve on. The service never closes it. */
  nc: NatsConnection;
  /** Runs one command locally, never rejecting: the in-process `app.send`. */
  dispatch: (command: Command) => Promise<CommandResult>;
  /** Names of the aggregates this node hosts; each gets its own subscription. */
  aggregates: readonly string[];
  /** Subject prefix: commands arrive on `<prefix>.cmd.<Aggregate>.<id>`. Default `tributary`. */
  prefix?: string;
  /** Queue group shared by every node serving the same commands. Default `tributary-commands`. */
  queue?: string;
  /**
   * Largest request body decoded, in bytes; a bigger one gets an `invalid` reply undecoded.
   * Default 512 KiB: a command is an intent, not a document, and the commit and reply it produces
   * must still fit the server's `max_payload` (1 MiB by default).
   */
  maxPayload?: number;
  /**
   * Shard ownership among the write nodes (see `createShardOwnership`): a command for an instance
   * another node owns is forwarded there, with the original reply subject, so the owner answers
   * the sender directly. Without it, whichever node the queue group picks runs the command. The
   * service joins it once it can take forwarded commands, and leaves and stops it on `stop()`.
   */
  ownership?: ShardOwnership;
  logger?: Logger;
  /** Told of each command forwarded to its owner (metrics). */
  observer?: Observer;
};

/**
 * A running command service. Every request gets exactly one reply; bad input never stops it.
 *
 * @example
 * ```ts
 * const service = await createCommandService({ nc, dispatch: app.send, aggregates: ['Account'] });
 * process.once('SIGTERM', () => void service.stop());
 * ```
 */
export type CommandService = {
  /** The subjects subscribed, one per aggregate: `<prefix>.cmd.<Aggregate>.*`. */
  readonly subjects: readonly string[];
  readonly queue: string;
  /** Commands received and not yet answered. */
  readonly inFlight: number;
  /** Requests handled (each got its one reply, whatever the outcome) since the start. */
  readonly handled: number;
  /**
   * Stops taking commands: drains the subscriptions (commands already delivered to this node are
   * still run), waits until every in-flight command has been answered and flushes the replies.
   * Other nodes of the queue group keep serving. Idempotent.
   */
  stop(): Promise<void>;
};

function withTimeout(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isJsonRequest(msg: Msg): boolean {
  return msg.headers?.get('Content-Type', Match.IgnoreCase) === JSON_CONTENT_TYPE;
}

/**
 * Serves commands over NATS request/reply. It subscribes `<prefix>.cmd.<Aggregate>.*` for each
 * hosted aggregate, in a queue group, so any number of nodes can serve and each request reaches
 * exactly one of them. One subscription per aggregate (rather than `<prefix>.cmd.>`) means a node
 * only ever receives commands it can run: nodes hosting different aggregates (or a rolling deploy
 * that adds one) can share the queue group, and NATS permissions can be granted per aggregate. A
 * subject nobody hosts gets the server's "no responders" status.
 *
 * For each request, concurrently (ordering per aggregate is the aggregate host's mailbox):
 * 1. No reply subject: logged (warn) and dropped, NOT run; the sender could never learn whether it
 *    was accepted, rejected or lost, so commands must be requests.
 * 2. Larger than `maxPayload`: `invalid`, undecoded.
 * 3. Decode msgpack (JSON with header `Content-Type: application/json`): `bad_encoding`.
 * 4. A map with known fields only, whose `aggregate` and `id` (optional) match the subject: `invalid`.
 * 5. Dispatch, which validates the rest exactly as in-process (`invalid`, `unknown_command`) and
 *    runs it (`rejected`, `conflict`, `timeout`, `internal`).
 * 6. Reply `{ ok: true, version, position, events }` or `{ ok: false, error: { code, message, details } }`.
 *
 * Every failure is caught per message and logged; nothing a sender does can stop the service.
 *
 * @example
 * ```ts
 * const nc = await connectNats({ servers: 'nats://127.0.0.1:4222' });
 * const service = await createCommandService({ nc, dispatch: app.send, aggregates: ['Account', 'Order'] });
 * // ...
 * await service.stop();
 * ```
 */
export async function createCommandService(options: CommandServiceOptions): Promise<CommandService> {
  const { nc, dispatch } = options;
  const prefix = options.prefix ?? DEFAULT_COMMAND_PREFIX;
  const queue = options.queue ?? DEFAULT_COMMAND_QUEUE;
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_COMMAND_BYTES;
  assertSubjectPrefix(prefix);
  assertQueueName(queue);
  if (typeof dispatch !== 'function') throw new ConfigError('`dispatch` must be a function (command) => Promise<CommandResult>');
  if (!Number.isSafeInteger(maxPayload) || maxPayload < 1) {
    throw new ConfigError(`maxPayload must be a positive integer, got ${String(options.maxPayload)}`);
  }
  if (!Array.isArray(options.aggregates) || options.aggregates.length === 0) {
    throw new ConfigError('the command service needs the names of the aggregates it hosts (`aggregates`)');
  }
  const names = [...new Set(options.aggregates)];
  for (const name of names) {
    try {
      assertAggregateName(name);
    } catch (err) {
      throw err instanceof ValidationError ? new ConfigError(err.message, err.details) : err;
    }
  }
  const logger = (options.logger ?? createLogger()).child({ component: 'commandService', queue });

  let inFlight = 0;
  let handled = 0;
  let idleWaiters: Array<() => void> = [];
  const done = (): void => {
    inFlight -= 1;
    handled += 1;
    if (inFlight === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };
  const idle = (): Promise<void> => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve)));

  const reply = (msg: Msg, replyTo: string, result: CommandResult, json: boolean): void => {
    const h = json ? headers() : undefined;
    h?.set('Content-Type', JSON_CONTENT_TYPE);
    const span = startSpan('tributary.command.reply', { [SpanAttributes.subject]: msg.subject });
    try {
      nc.publish(replyTo, encodeCommandResult(result, json), h ? { headers: h } : undefined);
      span?.end();
      return;
    } catch (err) {
      endWithError(span, err);
      if (nc.isClosed()) {
        logger.warn({ subject: msg.subject, err }, 'cannot reply to a command: the NATS connection is closed');
        return;
      }
      // Most likely the reply is over the server's max_payload (a command emitting huge events).
      const shape = new InternalError(
        `the reply could not be sent: ${(err as Error).message}` +
          (result.ok ? ` (the command DID succeed: version ${result.version}, position ${result.position})` : ''),
        result.ok ? { version: result.version, position: result.position } : { error: result.error },
      ).toShape();
      logger.error({ subject: msg.subject, err }, 'cannot reply to a command');
      try {
        nc.publish(replyTo, encodeCommandResult({ ok: false, error: shape }, json), h ? { headers: h } : undefined);
      } catch (again) {
        logger.error({ subject: msg.subject, err: again }, 'cannot reply to a command, not even with the error');
      }
    }
  };

  const handle = async (msg: Msg, replyTo: string, aggregate: string, idStart: number): Promise<void> => {
    let json = false;
    let command: Command | undefined;
    let result: CommandResult;
    try {
      json = isJsonRequest(msg);
      const size = msg.data.byteLength;
      if (size > maxPayload) {
        throw new ValidationError(`the command is ${size} bytes; this service accepts at most ${maxPayload}`, {
          field: 'command',
          size,
          maxPayload,
        });
      }
      command = toCommand(decodeCommandBody(msg.data, json), aggregate, msg.subject.slice(idStart));
      result = await dispatch(command);
    } catch (err) {
      result = { ok: false, error: toErrorShape(err) };
    }
    if (!result.ok) {
      const code = result.error.code;
      const fields = {
        subject: msg.subject,
        commandId: command?.commandId,
        type: command?.type,
        code,
        message: result.error.message,
      };
      if (code === 'internal') logger.error(fields, 'command failed');
      else if (command === undefined) logger.warn(fields, 'refused a malformed command');
      else logger.debug(fields, 'command not accepted');
    }
    reply(msg, replyTo, result, json);
  };

  const ownership = options.ownership;
  // Forwarded commands arrive on `<prefix>.own.<node>.<Aggregate>.<id>` and are always run here, so
  // two nodes that briefly disagree on an owner cannot bounce a command between them.
  const forwardBase = (node: string, aggregate: string) => `${prefix}.own.${node}.${aggregate}.`;
  const forward = (msg: Msg, replyTo: string, aggregate: string, id: string): boolean => {
    const owner = ownership?.ownerOf(aggregate, id);
    if (owner === undefined || owner === ownership?.nodeId) return false;
    try {
      nc.publish(forwardBase(owner, aggregate) + id, msg.data, msg.headers ? { reply: replyTo, headers: msg.headers } : { reply: replyTo });
      options.observer?.commandForwarded?.(aggregate);
      return true;
    } catch (err) {
      logger.warn({ err, subject: msg.subject, owner }, 'could not forward a command to its owner; running it here');
      return false;
    }
  };

  const serve = (aggregate: string, forwarded: boolean): Subscription => {
    const base = forwarded && ownership ? forwardBase(ownership.nodeId, aggregate) : `${prefix}.cmd.${aggregate}.`;
    const idStart = base.length;
    return nc.subscribe(`${base}*`, {
      ...(forwarded ? {} : { queue }),
      callback: (err, msg) => {
        if (err) {
          logger.error({ err, aggregate }, 'the command subscription failed');
          return;
        }
        const replyTo = msg.reply;
        if (!replyTo) {
          logger.warn(
            { subject: msg.subject, size: msg.data.byteLength },
            'dropped a command without a reply subject: commands must be requests, so that the sender learns the outcome',
          );
          return;
        }
        if (!forwarded && forward(msg, replyTo, aggregate, msg.subject.slice(idStart))) return;
        inFlight += 1;
        traceReceive(msg.headers?.get('traceparent'), msg.subject, () => handle(msg, replyTo, aggregate, idStart))
          .catch((unexpected: unknown) => logger.error({ err: unexpected, subject: msg.subject }, 'command handling failed'))
          .finally(done);
      },
    });
  };

  const subs = names.map((name) => serve(name, false));
  const forwardedSubs = ownership ? names.map((name) => serve(name, true)) : [];
  const subjects = subs.map((s) => s.getSubject());
  try {
    // Once the server has the subscriptions, a request sent after this resolves finds a responder.
    await nc.flush();
  } catch (err) {
    for (const sub of [...subs, ...forwardedSubs]) sub.unsubscribe();
    throw err;
  }
  await ownership?.join();
  logger.info({ subjects, node: ownership?.nodeId }, 'serving commands');

  let stopped: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    // Hand the shards over first: from now on this node forwards what it receives, and the others
    // stop forwarding to it (they learn the leave before the forwarded subscriptions drain).
    ownership?.leave();
    await Promise.allSettled(subs.map((s) => withTimeout(s.drain(), DRAIN_TIMEOUT_MS)));
    if (forwardedSubs.length > 0) {
      if (!nc.isClosed()) await withTimeout(nc.flush().catch(() => undefined), DRAIN_TIMEOUT_MS);
      await Promise.allSettled(forwardedSubs.map((s) => withTimeout(s.drain(), DRAIN_TIMEOUT_MS)));
    }
    for (const sub of [...subs, ...forwardedSubs]) {
      if (!sub.isClosed() && !nc.isClosed()) sub.unsubscribe();
    }
    await idle();
    if (!nc.isClosed()) await withTimeout(nc.flush().catch(() => undefined), DRAIN_TIMEOUT_MS);
    ownership?.stop();
    logger.info({ subjects }, 'stopped serving commands');
  };

  return {
    subjects,
    queue,
    get inFlight() {
      return inFlight;
    },
    get handled() {
      return handled;
    },
    stop() {
      stopped ??= shutdown();
      return stopped;
    },
  };
}
