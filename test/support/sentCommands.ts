import type { Command, CommandResult } from '../../src/commands/command.js';

/**
 * Every command a workload sent, with every answer it got (a retry adds one), in send order.
 *
 * @example
 * ```ts
 * const sent: SentCommands = new Map();
 * record(sent, command, await client.send(command));
 * ```
 */
export type SentCommands = Map<string, { readonly command: Command; readonly answers: CommandResult[] }>;

/**
 * Records one answer to a command.
 *
 * @example
 * ```ts
 * record(sent, command, result);
 * ```
 */
export function record(sent: SentCommands, command: Command, answer: CommandResult): void {
  const entry = sent.get(command.commandId!) ?? { command, answers: [] };
  entry.answers.push(answer);
  sent.set(command.commandId!, entry);
}
