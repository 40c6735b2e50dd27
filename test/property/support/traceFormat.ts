/**
 * One-line renderings of commands, results and predictions for traces and failure messages.
 */
import type { CommandResult } from '../../../src/index.js';
import type { Prediction } from '../model/world.js';

/** A command as sent (possibly malformed), e.g. `Deposit Account/a1 {"amount":5} [cid=k3]`. */
export function describeCommand(c: unknown): string {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return `(not a command: ${JSON.stringify(c)})`;
  const { type, aggregate, id, payload, commandId, expectedVersion, correlationId } = c as Record<string, unknown>;
  const extras = [
    commandId !== undefined ? `cid=${String(commandId)}` : 'cid=(generated)',
    expectedVersion !== undefined ? `expectedVersion=${String(expectedVersion)}` : '',
    correlationId !== undefined ? `corr=${String(correlationId)}` : '',
  ].filter(Boolean);
  return `${String(type)} ${String(aggregate)}/${String(id)} ${payload === undefined ? '(no payload)' : JSON.stringify(payload)} [${extras.join(' ')}]`;
}

/** A result, e.g. `ok v3 @7 Deposited` or `rejected(InsufficientFunds)`. */
export function describeResult(r: CommandResult): string {
  if (r.ok) return r.events.length === 0 ? `ok v${r.version} (no events)` : `ok v${r.version} @${r.position} ${r.events.map((e) => e.type).join(',')}`;
  const reason = r.error.details?.reason;
  return `${r.error.code}${typeof reason === 'string' ? `(${reason})` : ''}`;
}

/** What the model expected. */
export function describePrediction(p: Prediction): string {
  if (p.kind === 'accepted') return `ok v${p.version} ${p.events.map((e) => e.type).join(',')}`;
  if (p.kind === 'duplicate') return `the first result again (ok v${p.first.version} @${p.first.position})`;
  return `${p.code}${p.reason ? `(${p.reason})` : ''}`;
}

/** The engine-independent outcome of a command (no positions, timestamps or generated ids), for comparing engines. */
export function outcomeOf(r: CommandResult): string {
  if (!r.ok) return `${r.error.code}${typeof r.error.details?.reason === 'string' ? `(${r.error.details.reason})` : ''}`;
  return `ok v${r.version} ${JSON.stringify(r.events.map((e) => ({ type: e.type, data: e.data, version: e.version })))}`;
}
