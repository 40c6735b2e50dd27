import { randomUUID } from 'node:crypto';
import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { decode, encode } from '../codec/msgpack.js';
import {
  ClosedError,
  ConfigError,
  TimeoutError,
  UnknownCommandError,
  ValidationError,
  toErrorShape,
  type TributaryError,
} from '../errors.js';
import { assertAggregateId, assertAggregateName } from '../eventLog/subjectToken.js';
import { SpanAttributes, endWithResult, startSpan, traceparentOf } from '../observability/tracing.js';
import type { Command, CommandResult } from './command.js';
import { DEFAULT_COMMAND_PREFIX, assertSubjectPrefix, commandSubject } from './commandSubjects.js';
import { toCommandResult, toWireCommand } from './commandWire.js';

/** How long {@link CommandClient.send} waits for a reply by default, in milliseconds. */
export const DEFAULT_COMMAND_TIMEOUT = 5000;

/**
 * Options of {@link createCommandClient}.
 *
 * @example
 * ```ts
 * const options: CommandClientOptions = { nc, prefix: 'shop', timeout: 2000 };
 * ```
 */
export type CommandClientOptions = {
  /** The connection to send on. The client never closes it. */
  nc: NatsConnection;
  /** Subject prefix of the command service. Default `tributary`. */
  prefix?: string;
  /** Default milliseconds to wait for a reply. Default 5000. */
  timeout?: number;
};

/**
 * Options of one {@link CommandClient.send}.
 *
 * @example
 * ```ts
 * await client.send(command, { timeout: 1000 });
 * ```
 */
export type SendOptions = {
  /** Milliseconds to wait for the reply; default the client's `timeout`. */
  timeout?: number;
};

/**
 * Sends commands to whichever node serves them over NATS.
 *
 * @example
 * ```ts
 * const client = createCommandClient({ nc });
 * const r = await client.send({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 10 }, commandId: randomUUID() });
 * ```
 */
export type CommandClient = {
  /**
   * Sends a command and resolves with its result: the same {@link CommandResult} as in-process
   * `app.send`. Never rejects. Besides the service's own codes:
   * - `invalid`: the aggregate or id cannot be a subject token, or the command is over the
   *   server's `max_payload`; nothing was sent.
   * - `bad_encoding`: the command cannot be encoded as msgpack; nothing was sent.
   * - `unknown_command` with `details.noResponders`: no node serves this aggregate (none hosts
   *   it, or none is running) for the whole timeout; the command did not run.
   * - `timeout`: no reply in time. The command may or may not have run: send it again with the
   *   same `commandId` to find out (a repeated commandId returns the first result).
   * - `closed`: the client or its connection closed first (outcome unknown, as for `timeout`).
   *
   * A command without `commandId` gets a random one, so a caller that wants to retry safely must
   * set `commandId` itself.
   */
  send(command: Command, options?: SendOptions): Promise<CommandResult>;
  /** Sends waiting for their reply. */
  readonly inFlight: number;
  /** Refuses new sends, waits for those in flight (each ends by its timeout), then unsubscribes. Idempotent. */
  close(): Promise<void>;
};

type Pending = {
  readonly subject: string;
  readonly aggregate: string;
  readonly data: Uint8Array;
  readonly timeout: number;
  readonly deadline: number;
  readonly resolve: (result: CommandResult) => void;
  timer: NodeJS.Timeout | undefined;
  /** Set while waiting to send again after "no responders": then nothing is running it. */
  retryTimer: NodeJS.Timeout | undefined;
  noResponders: number;
  /** The send span's context, in the `traceparent` header, so the service continues the trace. */
  traceparent: string | undefined;
};

const failure = (error: TributaryError): CommandResult => ({ ok: false, error: error.toShape() });

const isTimeout = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;

/**
 * Creates a client for the NATS command service. All sends share one wildcard inbox subscription
 * and plain `nc.publish` with a reply subject, so thousands can be in flight with no Error objects
 * built per request (whatever the connection's `noAsyncTraces`). "No responders" (no node serving
 * the subject right now, e.g. during a restart) is retried with a short backoff until the timeout:
 * nothing ran, so sending again is safe.
 *
 * @example
 * ```ts
 * const nc = await connectNats({ servers: process.env.NATS_URL });
 * const client = createCommandClient({ nc, prefix: 'tributary' });
 * const r = await client.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' }, commandId: 'open-a-1' });
 * if (!r.ok) console.error(r.error.code, r.error.message);
 * await client.close();
 * await nc.drain();
 * ```
 */
export function createCommandClient(options: CommandClientOptions): CommandClient {
  const { nc } = options;
  const prefix = options.prefix ?? DEFAULT_COMMAND_PREFIX;
  const defaultTimeout = options.timeout ?? DEFAULT_COMMAND_TIMEOUT;
  assertSubjectPrefix(prefix);
  if (!isTimeout(defaultTimeout)) throw new ConfigError(`timeout must be a positive number of milliseconds, got ${String(defaultTimeout)}`);
  // Honour the connection's inboxPrefix (set where permissions restrict inboxes): the public type
  // does not expose the options, the implementation does.
  const inboxPrefix = (nc as NatsConnection & { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
  const inbox = `${createInbox(inboxPrefix)}.`;
  const pending = new Map<number, Pending>();
  let next = 0;
  let closing = false;
  let idleWaiters: Array<() => void> = [];

  const settle = (id: number, result: CommandResult): void => {
    const p = pending.get(id);
    if (p === undefined) return;
    pending.delete(id);
    clearTimeout(p.timer);
    if (p.retryTimer !== undefined) clearTimeout(p.retryTimer);
    p.resolve(result);
    if (pending.size === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  const noResponders = (p: Pending): CommandResult =>
    failure(
      new UnknownCommandError(
        `no command service answered for aggregate ${p.aggregate} within ${p.timeout} ms: nothing serves ${p.subject} ` +
          `(NATS "no responders"). Is a node hosting ${p.aggregate} running with subject prefix "${prefix}"? The command did not run.`,
        { aggregate: p.aggregate, subject: p.subject, timeout: p.timeout, noResponders: true },
      ),
    );

  const publish = (id: number, p: Pending): void => {
    try {
      let h;
      if (p.traceparent !== undefined) {
        h = headers();
        h.set('traceparent', p.traceparent);
      }
      nc.publish(p.subject, p.data, h ? { reply: inbox + id, headers: h } : { reply: inbox + id });
    } catch (err) {
      settle(
        id,
        nc.isClosed() || nc.isDraining()
          ? failure(new ClosedError(`cannot send to ${p.subject}: the NATS connection is closed`, { subject: p.subject }))
          : { ok: false, error: toErrorShape(err) },
      );
    }
  };

  const onReply = (err: Error | null, msg: Msg): void => {
    // A failed inbox subscription leaves every send to its own timer.
    if (err) return;
    const id = Number(msg.subject.slice(inbox.length));
    const p = pending.get(id);
    if (p === undefined) return; // a reply that arrived after its timeout
    if (msg.headers?.code === 503) {
      p.noResponders += 1;
      const wait = Math.min(25 * 2 ** Math.min(p.noResponders, 5), 500);
      if (closing || Date.now() + wait >= p.deadline) {
        settle(id, noResponders(p));
        return;
      }
      p.retryTimer = setTimeout(() => {
        p.retryTimer = undefined;
        if (pending.get(id) === p) publish(id, p);
      }, wait);
      return;
    }
    let result: CommandResult;
    try {
      result = toCommandResult(decode(msg.data));
    } catch (decodeErr) {
      result = {
        ok: false,
        error: {
          code: 'internal',
          message: `the reply from ${p.subject} could not be read: ${(decodeErr as Error).message}`,
          details: { subject: p.subject },
        },
      };
    }
    settle(id, result);
  };

  const sub = nc.subscribe(`${inbox}*`, { callback: onReply });
  // When the connection closes, no reply can come any more.
  void sub.closed.then(() => {
    for (const [id, p] of [...pending]) {
      settle(
        id,
        failure(
          new ClosedError(
            `the NATS connection closed before the reply from ${p.subject} arrived; the command may or may not have run ` +
              '(send it again with the same commandId to find out)',
            { subject: p.subject },
          ),
        ),
      );
    }
  });

  const start = (command: Command, timeout: number, resolve: (r: CommandResult) => void, traceparent: string | undefined): void => {
    if (typeof command !== 'object' || command === null) {
      throw new ValidationError(`a command must be an object { type, aggregate, id, payload }, got ${command === null ? 'null' : typeof command}`, {
        field: 'command',
      });
    }
    assertAggregateName(command.aggregate);
    assertAggregateId(command.id);
    const data = encode(toWireCommand(command, command.commandId ?? randomUUID()));
    const maxPayload = nc.info?.max_payload;
    if (maxPayload !== undefined && data.byteLength > maxPayload) {
      throw new ValidationError(
        `the command is ${data.byteLength} bytes encoded; the NATS server accepts at most ${maxPayload} (max_payload)`,
        { field: 'command', size: data.byteLength, maxPayload },
      );
    }
    const subject = commandSubject(prefix, command.aggregate, command.id);
    const id = ++next;
    const p: Pending = {
      subject,
      aggregate: command.aggregate,
      data,
      timeout,
      deadline: Date.now() + timeout,
      resolve,
      timer: undefined,
      retryTimer: undefined,
      noResponders: 0,
      traceparent,
    };
    p.timer = setTimeout(() => {
      if (p.retryTimer !== undefined) {
        settle(id, noResponders(p));
        return;
      }
      settle(
        id,
        failure(
          new TimeoutError(
            `no reply from ${subject} within ${timeout} ms: the command may or may not have run ` +
              '(send it again with the same commandId to find out; a repeated commandId returns the first result)',
            { subject, timeout },
          ),
        ),
      );
    }, timeout);
    pending.set(id, p);
    publish(id, p);
  };

  return {
    send(command, sendOptions) {
      if (closing) return Promise.resolve(failure(new ClosedError('the command client is closed')));
      const span = startSpan(
        'tributary.command.send',
        {
          [SpanAttributes.aggregate]: String(command?.aggregate),
          [SpanAttributes.commandType]: String(command?.type),
          ...(command?.commandId !== undefined && { [SpanAttributes.commandId]: command.commandId }),
          ...(command?.correlationId !== undefined && { [SpanAttributes.correlationId]: command.correlationId }),
        },
        { kind: 'client' },
      );
      return new Promise<CommandResult>((settled) => {
        const resolve = (result: CommandResult) => settled(endWithResult(span, result));
        try {
          const timeout = sendOptions?.timeout ?? defaultTimeout;
          if (!isTimeout(timeout)) {
            throw new ValidationError(`timeout must be a positive number of milliseconds, got ${String(timeout)}`, { field: 'timeout' });
          }
          start(command, timeout, resolve, traceparentOf(span));
        } catch (err) {
          resolve({ ok: false, error: toErrorShape(err) });
        }
      });
    },
    get inFlight() {
      return pending.size;
    },
    async close() {
      closing = true;
      if (pending.size > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      if (!sub.isClosed() && !nc.isClosed()) sub.unsubscribe();
    },
  };
}
