import { emit, type ActionFunction, type EventObject, type MachineContext, type ParameterizedObject } from 'xstate';

/**
 * The emitted-event type that carries a command a process decided to send. The dot keeps it apart
 * from user event names, which are plain identifiers.
 *
 * @example
 * ```ts
 * if (action.params.event.type === PROCESS_COMMAND_TYPE) outbox.push(action.params.event.command);
 * ```
 */
export const PROCESS_COMMAND_TYPE = 'tributary.command';

/**
 * A command as a process decides it: the runtime adds the deterministic `commandId` and the
 * `correlationId` (`<process>/<instance>`).
 *
 * @example
 * ```ts
 * const c: ProcessCommand = { type: 'Withdraw', aggregate: 'Account', id: 'a-1', payload: { amount: 500 } };
 * ```
 */
export type ProcessCommand = {
  readonly type: string;
  readonly aggregate: string;
  readonly id: string;
  readonly payload: unknown;
};

/**
 * What {@link sendCommand} emits.
 *
 * @example
 * ```ts
 * const e: CommandEmission = { type: 'tributary.command', command: [{ type: 'ShipOrder', aggregate: 'Order', id: 'o-1', payload: {} }] };
 * ```
 */
export type CommandEmission = { readonly type: typeof PROCESS_COMMAND_TYPE; readonly command: ProcessCommand | readonly ProcessCommand[] };

/**
 * The action with which a process machine sends commands: a fixed command (or list), or a function
 * of the context and the input event giving one or a list (sent in that order). Like `reject` for aggregates it only emits: the runtime writes the
 * command to the outbox with the instance's new state, then dispatches it, and feeds the answer back
 * as a `CommandSucceeded`, `CommandRejected` or `CommandFailed` event.
 *
 * @example
 * ```ts
 * OrderPlaced: {
 *   target: 'paying',
 *   actions: sendCommand(({ event }) => ({ type: 'Withdraw', aggregate: 'Account', id: event.data.accountId, payload: { amount: event.data.total } })),
 * },
 * ```
 */
export function sendCommand<
  TContext extends MachineContext,
  TExpressionEvent extends EventObject,
  TParams extends ParameterizedObject['params'] | undefined,
  TEvent extends EventObject,
>(
  command: ProcessCommand | readonly ProcessCommand[] | ((args: { context: TContext; event: TExpressionEvent }) => ProcessCommand | readonly ProcessCommand[]),
): ActionFunction<TContext, TExpressionEvent, TEvent, TParams, never, never, never, never, CommandEmission> {
  return emit<TContext, TExpressionEvent, TParams, TEvent, CommandEmission>(({ context, event }) => ({
    type: PROCESS_COMMAND_TYPE,
    command: typeof command === 'function' ? command({ context, event }) : command,
  }));
}
