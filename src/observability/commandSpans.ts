import type { Span } from '@opentelemetry/api';

// The decide span of each command running in this process, by commandId. A queued command runs in
// its aggregate's mailbox, outside its caller's async context, and entering a context per command
// costs more than it buys; this is how its append span and its log lines find its trace instead.
const running = new Map<string, Span>();

/**
 * Marks `span` as the span of command `commandId` until {@link commandEnded}.
 *
 * @example
 * ```ts
 * commandStarted(command.commandId, span);
 * ```
 */
export function commandStarted(commandId: string, span: Span): void {
  running.set(commandId, span);
}

/**
 * Forgets the span of command `commandId`.
 *
 * @example
 * ```ts
 * commandEnded(command.commandId);
 * ```
 */
export function commandEnded(commandId: string): void {
  running.delete(commandId);
}

/**
 * The span of a command running in this process, if it is traced.
 *
 * @example
 * ```ts
 * const parent = commandSpan(options.commandId);
 * ```
 */
export function commandSpan(commandId: string): Span | undefined {
  return running.get(commandId);
}
