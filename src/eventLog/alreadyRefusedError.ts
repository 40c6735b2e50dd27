import { TributaryError } from '../errors.js';
import type { Refusal } from './eventLog.js';

/**
 * An append whose commandId was refused before (`EventLog.refuse`): nothing was written,
 * and `refusal` is the first decision, which is the answer.
 *
 * @example
 * ```ts
 * try { await log.append('Account', 'a-1', events, { commandId }); }
 * catch (err) { if (err instanceof AlreadyRefusedError) return err.refusal.answer; throw err; }
 * ```
 */
export class AlreadyRefusedError extends TributaryError {
  readonly code = 'rejected' as const;
  readonly refusal: Refusal;
  constructor(refusal: Refusal) {
    super(`${refusal.aggregate}/${refusal.id}: commandId ${refusal.commandId} was refused before; that refusal is its answer`, {
      aggregate: refusal.aggregate,
      id: refusal.id,
      commandId: refusal.commandId,
    });
    this.refusal = refusal;
  }
}
