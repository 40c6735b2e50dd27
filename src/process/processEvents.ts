import type { ErrorCode } from '../errors.js';
import type { EventEnvelope } from '../eventLog/eventLog.js';
import type { ProcessCommand } from './sendCommand.js';

/**
 * The command an answer is about, as the process sent it, with its deterministic `commandId`.
 *
 * @example
 * ```ts
 * const sent: SentCommand = { type: 'Withdraw', aggregate: 'Account', id: 'a-1', payload: { amount: 5 }, commandId: 'Fulfilment/o-1/p7.0/0' };
 * ```
 */
export type SentCommand = ProcessCommand & { readonly commandId: string };

/**
 * The answer to a command the process sent, fed back to its instance as an input. `timestamp` is
 * the decision's (the input that sent the command), so timers set on an answer are deterministic.
 * `CommandSucceeded` carries the commit's position; `CommandRejected` the aggregate's reason;
 * `CommandFailed` an answer that will never change (`invalid`, `unknown_command`, `not_found`, ...).
 *
 * @example
 * ```ts
 * CommandRejected: { guard: ({ event }) => event.reason === 'InsufficientFunds', target: 'cancelling' },
 * ```
 */
export type CommandAnswerEvent =
  | { readonly type: 'CommandSucceeded'; readonly command: SentCommand; readonly position: number; readonly timestamp: number }
  | { readonly type: 'CommandRejected'; readonly command: SentCommand; readonly reason: string; readonly message: string; readonly timestamp: number }
  | { readonly type: 'CommandFailed'; readonly command: SentCommand; readonly code: ErrorCode; readonly message: string; readonly timestamp: number };

/**
 * Everything a process machine receives: event envelopes of the log, timer firings (XState's
 * `xstate.after.*` events, with the due time as `timestamp`) and answers to its commands.
 *
 * @example
 * ```ts
 * const input: ProcessEvent = { type: 'CommandSucceeded', command, position: 12, timestamp: 1_700_000_000_000 };
 * ```
 */
export type ProcessEvent = EventEnvelope | CommandAnswerEvent | { readonly type: `xstate.after.${string}`; readonly timestamp: number };
