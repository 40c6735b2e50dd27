import type { CommandResult } from '../commands/command.js';
import type { EventLog } from '../eventLog/eventLog.js';

/**
 * The first decision on `commandId` when the log holds its commit, else `undefined`.
 *
 * The host asks this wherever it would answer without appending (a rejection, a no-op, an
 * expected-version conflict) and its own recent-command memory has no entry: the command may have
 * committed long ago (more than the memory's 128 commits back), or on another node. An append
 * needs no such question: the log's commandId dedupe answers it. Rejections are not stored, so a
 * retried rejection is decided again (the same answer while the aggregate has not moved on).
 *
 * @example
 * ```ts
 * const decision = self.decide(command);
 * if (!decision.ok) return (await decidedBefore(log, command.commandId)) ?? decision;
 * ```
 */
export async function decidedBefore(log: EventLog, commandId: string): Promise<CommandResult | undefined> {
  const first = log.commandResult === undefined ? undefined : await log.commandResult(commandId);
  return first === undefined ? undefined : { ok: true, version: first.version, position: first.position, events: first.events };
}
