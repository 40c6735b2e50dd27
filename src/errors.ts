/**
 * Every failure Tributary reports is a {@link TributaryError} with a stable `code`.
 * Codes travel over the wire (command replies), so they never change once published.
 */

/** The stable error codes. Command replies carry one of these in `error.code`. */
export type ErrorCode =
  | 'invalid'
  | 'rejected'
  | 'conflict'
  | 'unknown_command'
  | 'bad_encoding'
  | 'not_found'
  | 'timeout'
  | 'internal'
  | 'config'
  | 'connection'
  | 'closed'
  | 'projection_failed'
  | 'process_halted';

/** Plain, serialisable form of an error, as carried in `{ ok: false, error }` results. */
export type ErrorShape = {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
};

/**
 * Base class of every Tributary error.
 *
 * @example
 * ```ts
 * try { await log.append('Account', 'a-1', events, { commandId, expectedVersion: 3 }); }
 * catch (err) { if (err instanceof TributaryError && err.code === 'conflict') retry(); }
 * ```
 */
export abstract class TributaryError extends Error {
  abstract readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }

  /** The wire form of this error. */
  toShape(): ErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * Input failed validation: a schema-invalid payload, a malformed command, an id that is not a
 * valid NATS subject token.
 *
 * @example
 * ```ts
 * throw new ValidationError('id "a.b" is not a valid subject token', { field: 'id' });
 * ```
 */
export class ValidationError extends TributaryError {
  readonly code = 'invalid' as const;
}

/**
 * The aggregate refused the command: an invariant (for example `InsufficientFunds`) or a command
 * not accepted in the current state (`reason: 'NotAccepted'`).
 *
 * @example
 * ```ts
 * if (err instanceof RejectedError) console.log(err.reason); // 'InsufficientFunds'
 * ```
 */
export class RejectedError extends TributaryError {
  readonly code = 'rejected' as const;
  readonly reason: string;
  constructor(reason: string, message: string, details?: Record<string, unknown>) {
    super(message, { reason, ...details });
    this.reason = reason;
  }
}

/**
 * Optimistic concurrency failed: the aggregate's version was not the expected one, so nothing was
 * written.
 *
 * @example
 * ```ts
 * throw new ConcurrencyError('Account/a-1: expected version 3, found 4', { expectedVersion: 3, actualVersion: 4 });
 * ```
 */
export class ConcurrencyError extends TributaryError {
  readonly code = 'conflict' as const;
}

/**
 * No handler for this command: an unknown command type or an unknown aggregate.
 *
 * @example
 * ```ts
 * throw new UnknownCommandError('aggregate Account has no command "Teleport"', { aggregate: 'Account', type: 'Teleport' });
 * ```
 */
export class UnknownCommandError extends TributaryError {
  readonly code = 'unknown_command' as const;
}

/**
 * Bytes that could not be decoded (malformed msgpack, or msgpack of the wrong shape).
 *
 * @example
 * ```ts
 * try { decode(bytes); } catch (err) { if (err instanceof CodecError) reply({ ok: false, error: err.toShape() }); }
 * ```
 */
export class CodecError extends TributaryError {
  readonly code = 'bad_encoding' as const;
}

/**
 * The thing asked for does not exist: a projection, a key, an aggregate instance.
 *
 * @example
 * ```ts
 * throw new NotFoundError('no projection named "Orders"', { projection: 'Orders' });
 * ```
 */
export class NotFoundError extends TributaryError {
  readonly code = 'not_found' as const;
}

/**
 * A wait ran out: a request with no reply, or a read-your-writes wait that never saw its position.
 *
 * @example
 * ```ts
 * throw new TimeoutError('projection AccountBalance did not reach position 42 within 5000 ms', { position: 42 });
 * ```
 */
export class TimeoutError extends TributaryError {
  readonly code = 'timeout' as const;
}

/**
 * A bug or an unexpected failure inside Tributary or a user's machine. The message says which.
 *
 * @example
 * ```ts
 * throw new InternalError('command transition Deposit changed the context', { aggregate: 'Account' });
 * ```
 */
export class InternalError extends TributaryError {
  readonly code = 'internal' as const;
}

/**
 * Configuration that cannot work: a JetStream stream whose existing config conflicts with the
 * one asked for, missing options, an engine that is not known.
 *
 * @example
 * ```ts
 * throw new ConfigError('stream EVENTS exists with subjects ["x.>"], expected ["tributary.evt.>"]');
 * ```
 */
export class ConfigError extends TributaryError {
  readonly code = 'config' as const;
}

/**
 * The NATS connection failed or was refused (for example a wrong password).
 *
 * @example
 * ```ts
 * throw new ConnectionError('cannot connect to nats://127.0.0.1:4222: Authorization Violation');
 * ```
 */
export class ConnectionError extends TributaryError {
  readonly code = 'connection' as const;
}

/**
 * The component was used after `close()`.
 *
 * @example
 * ```ts
 * throw new ClosedError('event log is closed');
 * ```
 */
export class ClosedError extends TributaryError {
  readonly code = 'closed' as const;
}

/**
 * A projection stopped on a poison event (its handler threw). Names the projection, the event and
 * its position, so that the operator can `skip` or `retry` it.
 *
 * @example
 * ```ts
 * throw new ProjectionFailedError('projection OrderSummary failed on OrderShipped (Order/o-1) at position 17: boom', { position: 17 });
 * ```
 */
export class ProjectionFailedError extends TributaryError {
  readonly code = 'projection_failed' as const;
}

/**
 * A process manager instance stopped on an input it could not take (its machine threw, or it
 * decided a malformed command, or a command of it could not be delivered). Only that instance
 * stops; names the process, the instance and the input, so that the operator can `retry` or `skip` it.
 *
 * @example
 * ```ts
 * throw new ProcessHaltedError('process Fulfilment, instance o-1, halted on OrderPlaced at position 17: boom', { process: 'Fulfilment', instance: 'o-1' });
 * ```
 */
export class ProcessHaltedError extends TributaryError {
  readonly code = 'process_halted' as const;
}

/**
 * Turns anything thrown into the wire form. Unknown errors become `internal`, keeping their message.
 *
 * @example
 * ```ts
 * const result = { ok: false as const, error: toErrorShape(err) };
 * ```
 */
export function toErrorShape(err: unknown): ErrorShape {
  if (err instanceof TributaryError) return err.toShape();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message };
}
