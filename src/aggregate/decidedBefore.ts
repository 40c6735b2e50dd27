import type { CommandResult } from '../commands/command.js';
import type { ErrorShape } from '../errors.js';
import type { CommandDecision, EventLog } from '../eventLog/eventLog.js';

/**
 * The first decision on `commandId` when the log holds one (a commit or a stored rejection), else
 * `undefined`.
 *
 * The host asks this wherever it would answer without appending and without a rejection (a no-op,
 * an expected-version conflict) and its own recent-command memory has no entry: the command may
 * have been decided long ago (more than the memory's 128 commits back), or on another node. An
 * append needs no such question: the log's commandId dedupe answers it, and a rejection asks
 * {@link refuseOnce} instead.
 *
 * @example
 * ```ts
 * const first = await decidedBefore(log, command.commandId);
 * if (first !== undefined) return first;
 * ```
 */
export async function decidedBefore(log: EventLog, commandId: string): Promise<CommandResult | undefined> {
  const first = log.firstDecision === undefined ? undefined : await log.firstDecision(commandId);
  return first === undefined ? undefined : toResult(first);
}

/**
 * Answers a rejection once: stores it in the log as the commandId's decision, unless the commandId
 * was decided before (a commit, or an earlier rejection, perhaps on another node), in which case
 * that first decision is the answer. The log stores the rejection's error shape and knows nothing
 * of what it means; a log without `refuse` falls back to {@link decidedBefore}.
 *
 * @example
 * ```ts
 * if (!decision.ok) return refuseOnce(log, 'Account', 'a-1', command.commandId, decision);
 * ```
 */
export async function refuseOnce(
  log: EventLog,
  aggregate: string,
  id: string,
  commandId: string,
  rejection: Extract<CommandResult, { ok: false }>,
): Promise<CommandResult> {
  if (log.refuse === undefined) return (await decidedBefore(log, commandId)) ?? rejection;
  return toResult(await log.refuse(aggregate, id, rejection.error, { commandId }));
}

/**
 * The answer a stored refusal gives: the error shape the host stored.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof AlreadyRefusedError) return refusedAnswer(err.refusal.answer); }
 * ```
 */
export function refusedAnswer(answer: unknown): CommandResult {
  return { ok: false, error: answer as ErrorShape };
}

function toResult(first: CommandDecision): CommandResult {
  if (first.kind === 'refusal') return refusedAnswer(first.refusal.answer);
  const { version, position, events } = first.result;
  return { ok: true, version, position, events };
}
