import { lastValueFrom, toArray } from 'rxjs';
import { expect } from 'vitest';
import type { CommandResult } from '../../src/commands/command.js';
import type { EventEnvelope, EventLog } from '../../src/eventLog/eventLog.js';
import type { SentCommands } from './sentCommands.js';

export { record, type SentCommands } from './sentCommands.js';

/**
 * Checks an Account workload against the log as every reader sees it, and returns each account's
 * balance by the serial model (the log's commits replayed in order):
 * - no version twice, versions 1..n per account (the effective history is one chain);
 * - every acknowledged commandId appears once, and nothing else does;
 * - every answer to a commandId equals its first (conflicts, timeouts and connection errors aside);
 * - each `ok` answer names its commit's version and position;
 * - no withdrawal ever overdraws (the serial model).
 *
 * @example
 * ```ts
 * const balances = await checkAccountHistory(log, sent);
 * ```
 */
export async function checkAccountHistory(log: EventLog, sent: SentCommands): Promise<Map<string, number>> {
  const commits = await lastValueFrom(log.readAll({ live: false }).pipe(toArray()));
  const events = commits.flatMap((c) => c.events as EventEnvelope[]);
  expect(new Set(events.map((e) => e.eventId)).size, 'an event stored twice').toBe(events.length);
  // A conflict wrote nothing (the caller sends again); a timeout or a lost connection decided nothing it knows of.
  const decided = (answers: CommandResult[]) => answers.filter((a) => a.ok || !['conflict', 'timeout', 'connection', 'closed'].includes(a.error.code));
  const acked = [...sent.values()].filter((s) => decided(s.answers)[0]?.ok).map((s) => s.command.commandId!);
  const logged = events.map((e) => e.commandId);
  // Name the answers of every command on one side only: a bare list diff says nothing of why.
  const ackedSet = new Set(acked);
  const loggedSet = new Set(logged);
  const odd = [...new Set([...logged.filter((c) => !ackedSet.has(c)), ...acked.filter((c) => !loggedSet.has(c))])];
  const why = odd.slice(0, 5).map((c) => `${c}: ${JSON.stringify(sent.get(c)?.answers.map((a) => (a.ok ? 'ok' : `${a.error.code}: ${a.error.message}`)))}`);
  expect(logged.sort(), `the log holds exactly the acknowledged commands; ${why.join('; ')}`).toEqual(acked.sort());
  for (const { command, answers } of sent.values()) {
    const [first, ...rest] = decided(answers);
    for (const again of rest) expect(again, `answers to ${command.commandId}`).toEqual(first);
  }

  const balances = new Map<string, number>();
  const versions = new Map<string, number>();
  for (const e of events) {
    const version = (versions.get(e.id) ?? 0) + 1;
    expect(e.version, `${e.id}: the next version in the log`).toBe(version);
    versions.set(e.id, version);
    const { command, answers } = sent.get(e.commandId)!;
    expect(decided(answers)[0], `the answer to ${e.commandId}`).toMatchObject({ ok: true, version: e.version, position: e.position });
    const amount = (e.data as { amount?: number }).amount ?? 0;
    expect(command.payload).toMatchObject(e.type === 'AccountOpened' ? {} : { amount });
    const balance = balances.get(e.id) ?? 0;
    if (e.type === 'Withdrawn') expect(balance, `${e.id} v${e.version} overdraws`).toBeGreaterThanOrEqual(amount);
    balances.set(e.id, e.type === 'Deposited' ? balance + amount : e.type === 'Withdrawn' ? balance - amount : balance);
  }
  return balances;
}
