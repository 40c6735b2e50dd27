import { randomUUID } from 'node:crypto';
import { headers, type NatsConnection } from '@nats-io/transport-node';
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
import { createRequester, type RequestEnd } from '../nats/requestReply.js';
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

const failure = (error: TributaryError): CommandResult => ({ ok: false, error: error.toShape() });

const isTimeout = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;

// After "no responders" (no node serving the subject right now, e.g. during a restart) nothing
// ran: send again soon, then less and less often.
const retryNoService = (attempt: number): number => Math.min(25 * 2 ** Math.min(attempt, 5), 500);

/**
 * Creates a client for the NATS command service. All sends share one wildcard inbox subscription
 * (the shared {@link createRequester}) and plain `nc.publish` with a reply subject, so thousands
 * can be in flight with no Error objects built per request (whatever the connection's
 * `noAsyncTraces`). "No responders" is retried with a short backoff until the timeout: nothing
 * ran, so sending again is safe.
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
  let closing = false;
  // Once closing, "no responders" ends a send at once rather than waiting for a node to come.
  const requester = createRequester(nc, { retryNoResponders: (attempt) => (closing ? undefined : retryNoService(attempt)) });
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];

  const settled = (): void => {
    inFlight -= 1;
    if (inFlight === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  const failed = (subject: string, aggregate: string, timeout: number, end: RequestEnd): CommandResult => {
    switch (end.kind) {
      case 'noResponders':
        return failure(
          new UnknownCommandError(
            `no command service answered for aggregate ${aggregate} within ${timeout} ms: nothing serves ${subject} ` +
              `(NATS "no responders"). Is a node hosting ${aggregate} running with subject prefix "${prefix}"? The command did not run.`,
            { aggregate, subject, timeout, noResponders: true },
          ),
        );
      case 'timeout':
        return failure(
          new TimeoutError(
            `no reply from ${subject} within ${timeout} ms: the command may or may not have run ` +
              '(send it again with the same commandId to find out; a repeated commandId returns the first result)',
            { subject, timeout },
          ),
        );
      case 'closed':
        return failure(
          new ClosedError(
            `the NATS connection closed before the reply from ${subject} arrived; the command may or may not have run ` +
              '(send it again with the same commandId to find out)',
            { subject },
          ),
        );
      case 'unsent':
        return end.connectionClosed
          ? failure(new ClosedError(`cannot send to ${subject}: the NATS connection is closed`, { subject }))
          : { ok: false, error: toErrorShape(end.error) };
      case 'failed':
        return { ok: false, error: toErrorShape(end.error) };
    }
  };

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
    const { aggregate } = command;
    let h;
    if (traceparent !== undefined) {
      h = headers();
      h.set('traceparent', traceparent);
    }
    inFlight += 1;
    requester.request(subject, data, h ? { timeout, headers: h } : { timeout }, {
      onReply(msg) {
        let result: CommandResult;
        try {
          result = toCommandResult(decode(msg.data));
        } catch (decodeErr) {
          result = {
            ok: false,
            error: {
              code: 'internal',
              message: `the reply from ${subject} could not be read: ${(decodeErr as Error).message}`,
              details: { subject },
            },
          };
        }
        settled();
        resolve(result);
        return true;
      },
      onEnd(end) {
        settled();
        resolve(failed(subject, aggregate, timeout, end));
      },
    });
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
      return new Promise<CommandResult>((settle) => {
        const resolve = (result: CommandResult) => settle(endWithResult(span, result));
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
      return inFlight;
    },
    async close() {
      closing = true;
      if (inFlight > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      requester.close();
    },
  };
}
