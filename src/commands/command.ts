import type { ErrorShape } from '../errors.js';
import type { EventEnvelope } from '../eventLog/eventLog.js';

/**
 * An intent addressed to one aggregate instance, named as a task (`ChangeUserEmail`, never
 * `UpdateUser`). `commandId` is the idempotency key: sending the same command twice appends once.
 *
 * @example
 * ```ts
 * const cmd: Command = { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 10 }, commandId: randomUUID() };
 * ```
 */
export type Command<Type extends string = string, Payload = unknown> = {
  readonly type: Type;
  readonly aggregate: string;
  readonly id: string;
  readonly payload: Payload;
  /** Generated when omitted in-process; remote senders should always set it, to retry safely. */
  readonly commandId?: string;
  /** Defaults to the commandId. */
  readonly correlationId?: string;
  /** When set, the command is rejected with `conflict` unless the aggregate is at this version. */
  readonly expectedVersion?: number;
};

/**
 * The outcome of a command, the same in-process (`app.send`) and over NATS (`client.send`).
 * `position` is the commit's position in the log: wait for it to read your own writes.
 *
 * @example
 * ```ts
 * const r = await app.send(cmd);
 * if (r.ok) await projection.waitFor(r.position); else console.error(r.error.code, r.error.message);
 * ```
 */
export type CommandResult =
  | { readonly ok: true; readonly version: number; readonly position: number; readonly events: readonly EventEnvelope[] }
  | { readonly ok: false; readonly error: ErrorShape };
