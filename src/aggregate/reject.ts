import { emit, type ActionFunction, type EventObject, type MachineContext, type ParameterizedObject } from 'xstate';

/**
 * The emitted-event type that carries a rejection. The dot keeps it apart from user event names,
 * which are plain identifiers.
 *
 * @example
 * ```ts
 * actor.on(REJECTION_TYPE, (r) => console.log(r.reason));
 * ```
 */
export const REJECTION_TYPE = 'tributary.rejected';

/**
 * What {@link reject} emits. The host turns it into a `RejectedError` (code `rejected`) and
 * appends nothing.
 *
 * @example
 * ```ts
 * const r: Rejection = { type: 'tributary.rejected', reason: 'InsufficientFunds', message: 'balance 5 is below 10' };
 * ```
 */
export type Rejection = {
  readonly type: typeof REJECTION_TYPE;
  readonly reason: string;
  readonly message: string;
};

/**
 * The message of a rejection: a fixed string, or a function of the context and the command.
 *
 * @example
 * ```ts
 * const message: RejectionMessage<{ balance: number }, { type: 'Withdraw'; payload: { amount: number } }> =
 *   ({ context, event }) => `balance ${context.balance} is below ${event.payload.amount}`;
 * ```
 */
export type RejectionMessage<Context, Event> = string | ((args: { context: Context; event: Event }) => string);

/**
 * The action that refuses a command with a reason: use it in a command transition, typically as
 * the fallback after a guarded branch. The caller gets
 * `{ ok: false, error: { code: 'rejected', message, details: { reason } } }` and nothing is written.
 *
 * @example
 * ```ts
 * Withdraw: [
 *   { guard: 'coversAmount', actions: emit(({ event }) => ({ type: 'Withdrawn', data: { amount: event.payload.amount } })) },
 *   { actions: reject('InsufficientFunds', ({ context, event }) => `balance ${context.balance} is below ${event.payload.amount}`) },
 * ],
 * ```
 */
export function reject<
  TContext extends MachineContext,
  TExpressionEvent extends EventObject,
  TParams extends ParameterizedObject['params'] | undefined,
  TEvent extends EventObject,
>(
  reason: string,
  message: RejectionMessage<TContext, TExpressionEvent>,
): ActionFunction<TContext, TExpressionEvent, TEvent, TParams, never, never, never, never, Rejection> {
  return emit<TContext, TExpressionEvent, TParams, TEvent, Rejection>(({ context, event }) => ({
    type: REJECTION_TYPE,
    reason,
    message: typeof message === 'function' ? message({ context, event }) : message,
  }));
}

/**
 * Whether an emitted event is a {@link Rejection}.
 *
 * @example
 * ```ts
 * actor.on('*', (e) => { if (isRejection(e)) console.log(e.reason); });
 * ```
 */
export function isRejection(event: EventObject): event is Rejection {
  return event.type === REJECTION_TYPE;
}
