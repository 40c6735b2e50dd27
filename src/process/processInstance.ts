import type { EventObject } from 'xstate';
import type { ErrorShape } from '../errors.js';
import type { EventEnvelope } from '../eventLog/eventLog.js';
import type { CommandAnswerEvent, SentCommand } from './processEvents.js';

/**
 * One input of a process instance, as recorded: a log event (with its index in its commit), a
 * timer firing, or the answer to one of its commands. Replaying an instance's recorded inputs in
 * order gives its state and its commands again.
 *
 * @example
 * ```ts
 * const input: ProcessInput = { kind: 'timer', id: 'xstate.after.shipWithin.Fulfilment.paid', event: { type: 'xstate.after.shipWithin.Fulfilment.paid' }, dueAt: 1_700_000_060_000, setBy: 'p17.0' };
 * ```
 */
export type ProcessInput =
  | { readonly kind: 'event'; readonly event: EventEnvelope; readonly index: number }
  | { readonly kind: 'timer'; readonly id: string; readonly event: EventObject; readonly dueAt: number; readonly setBy: string }
  | { readonly kind: 'answer'; readonly answer: CommandAnswerEvent };

/**
 * A timer an instance has set and not yet seen fire or cancelled.
 *
 * @example
 * ```ts
 * const timer: PendingTimer = { id: 'xstate.after.shipWithin.Fulfilment.paid', event: { type: 'xstate.after.shipWithin.Fulfilment.paid' }, dueAt: 1_700_000_060_000, setBy: 'p17.0' };
 * ```
 */
export type PendingTimer = {
  readonly id: string;
  readonly event: EventObject;
  readonly dueAt: number;
  /** The trigger key of the input that set it: the commands its firing sends are named after it. */
  readonly setBy: string;
};

/**
 * Why an instance stopped, and what arrived for it since (applied in order once it resumes).
 *
 * @example
 * ```ts
 * const halt: InstanceHalt = { input, error: { code: 'process_halted', message: '...' }, parked: [] };
 * ```
 */
export type InstanceHalt = {
  readonly input: ProcessInput;
  readonly error: ErrorShape;
  readonly parked: readonly ProcessInput[];
  /** The commandId of a command that could not be delivered: `input` is then its `CommandFailed` answer. */
  readonly stuck?: string;
};

/**
 * The durable state of one process instance. Written in the same transaction as the outbox
 * entries it decided and the process's checkpoint.
 *
 * @example
 * ```ts
 * const record: InstanceRecord = { id: 'o-1', state: persisted, inputs: 3, timers: [], done: false };
 * ```
 */
export type InstanceRecord = {
  readonly id: string;
  /** The XState persisted snapshot. */
  readonly state: unknown;
  /** How many inputs it has taken (its recorded inputs are numbered from 1). */
  readonly inputs: number;
  readonly timers: readonly PendingTimer[];
  /** Its machine reached a final state: later inputs are ignored. */
  readonly done: boolean;
  readonly halted?: InstanceHalt;
};

/**
 * A command waiting in the outbox for its answer, with what the answer needs.
 *
 * @example
 * ```ts
 * const entry: OutboxEntry = { instance: 'o-1', command, decidedAt: 1_700_000_000_000 };
 * ```
 */
export type OutboxEntry = {
  readonly instance: string;
  readonly command: SentCommand;
  /** The timestamp of the input that decided it: the answer's timestamp. */
  readonly decidedAt: number;
};

/**
 * The timestamp of an input: the event's, the timer's due time, or the answer's.
 *
 * @example
 * ```ts
 * const dueAt = inputTimestamp(input) + delay;
 * ```
 */
export function inputTimestamp(input: ProcessInput): number {
  switch (input.kind) {
    case 'event':
      return input.event.timestamp;
    case 'timer':
      return input.dueAt;
    case 'answer':
      return input.answer.timestamp;
  }
}

/**
 * A short label of an input for messages and status: `OrderPlaced at position 17`.
 *
 * @example
 * ```ts
 * describeInput(input); // 'timer xstate.after.shipWithin.Fulfilment.paid due at 2026-12-01T10:00:00.000Z'
 * ```
 */
export function describeInput(input: ProcessInput): string {
  switch (input.kind) {
    case 'event':
      return `${input.event.type} (${input.event.aggregate}/${input.event.id}) at position ${input.event.position}`;
    case 'timer':
      return `timer ${input.id} due at ${new Date(input.dueAt).toISOString()}`;
    case 'answer':
      return `${input.answer.type} for ${input.answer.command.type} ${input.answer.command.commandId}`;
  }
}
