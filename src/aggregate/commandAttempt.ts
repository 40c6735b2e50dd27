import type { CommandResult } from '../commands/command.js';
import { ConcurrencyError, toErrorShape } from '../errors.js';
import type { AppendResult } from '../eventLog/eventLog.js';
import type { AggregateInstance } from './aggregateInstance.js';
import type { CommandMessage } from './aggregateTypes.js';
import { probed, type StageProbe } from '../logging/stageProbe.js';
import { discard, type HostStages, type HostState } from './hostState.js';
import { AlreadyRefusedError } from '../eventLog/alreadyRefusedError.js';
import { decidedBefore, refuseOnce, refusedAnswer } from './decidedBefore.js';
import { catchUp, current, maybeSnapshot } from './rehydrate.js';

/**
 * How one attempt at a command ended:
 * - `done`: answer with `result` (a success, a refusal, or an error);
 * - `retry`: another writer moved the aggregate on; the instance has caught up, decide again;
 * - `conflict`: the command's `expectedVersion` does not hold (it never will), answer `conflict`.
 *
 * @example
 * ```ts
 * const outcome = await attempt(host, command, hashCommandId(command.commandId));
 * if (outcome.kind === 'done') return outcome.result;
 * ```
 */
export type AttemptOutcome =
  | { readonly kind: 'done'; readonly result: CommandResult }
  | { readonly kind: 'retry' }
  | { readonly kind: 'conflict'; readonly expectedVersion: number; readonly actualVersion: number; readonly raced: boolean };

const RETRY: AttemptOutcome = { kind: 'retry' };

function done(result: CommandResult): AttemptOutcome {
  return { kind: 'done', result };
}

/**
 * The first answer to a repeated commandId, if the aggregate's recent commits hold it; undefined
 * (synchronously, with no read) when they do not. The recent list holds only hashes: a hit is
 * confirmed against the commit read back, and a hash collision with another command is simply
 * not a duplicate.
 *
 * @example
 * ```ts
 * const first = answerDuplicate(host, command.commandId, hash);
 * if (first !== undefined && (await first) !== undefined) return await first;
 * ```
 */
export function answerDuplicate(host: HostState, commandId: string, hash: number): Promise<CommandResult | undefined> | undefined {
  const ref = host.recent.find(hash);
  if (ref === undefined) return undefined;
  // Only that commit: reading on to the head is a consumer read on NATS for a hot aggregate.
  return host.log.readStream(host.aggregate, host.id, { fromVersion: ref.version - ref.count + 1, toVersion: ref.version }).then((envelopes) => {
    const events = envelopes.slice(0, ref.count);
    if (events.length !== ref.count || events[events.length - 1]?.commandId !== commandId) return undefined;
    return { ok: true, version: ref.version, position: ref.position, events };
  });
}

// The commit is stored: remember it, then evolve the machine with the stored envelopes.
function acceptAppended(host: HostState, self: AggregateInstance, command: CommandMessage, hash: number, appended: AppendResult): CommandResult {
  const result: CommandResult = { ok: true, version: appended.version, position: appended.position, events: appended.events };
  const before = self.version;
  host.recent.add(hash, appended.version, appended.events.length, appended.position);
  try {
    host.stages.evolve(self, appended.events);
  } catch (err) {
    // The commit is durable, so the command succeeded; the machine is not, so reload it next time.
    host.logger.error({ aggregate: host.aggregate, id: host.id, commandId: command.commandId, err }, 'an event transition failed after the append; the instance will be reloaded');
    discard(host);
    return result;
  }
  maybeSnapshot(host, self, before);
  return result;
}

/**
 * One attempt at a command, in order: answer a repeated commandId with its first result; check
 * `expectedVersion`; decide; append ONE commit at the instance's version; and only then evolve.
 * A refusal or a no-op writes nothing, so no conflict would reveal a stale instance: unless the
 * log is an `exclusiveWriter`, it catches up first and asks for a retry if another writer had
 * moved the aggregate on. Throws only on failures of the log or of loading.
 *
 * @example
 * ```ts
 * for (let n = 1; ; n++) {
 *   const outcome = await attempt(host, command, hash);
 *   if (outcome.kind !== 'retry' || n >= host.maxAttempts) break;
 * }
 * ```
 */
export async function attempt(host: HostState, command: CommandMessage, hash: number): Promise<AttemptOutcome> {
  // Awaiting only when there is something to wait for keeps microtasks off the hot path.
  const self = host.instance ?? (await current(host));
  const duplicate = answerDuplicate(host, command.commandId, hash);
  const first = duplicate === undefined ? undefined : await duplicate;
  if (first !== undefined) {
    host.observer.dedupeHit?.(host.aggregate);
    return done(first);
  }
  const expected = command.expectedVersion;
  if (expected !== undefined && expected !== self.version) {
    // Another node may have written: a cached instance behind the expectation catches up first.
    if (expected > self.version) await catchUp(host, self);
    if (expected !== self.version) {
      const firstDecision = await firstDecisionInLog(host, command.commandId);
      if (firstDecision !== undefined) return done(firstDecision);
      return { kind: 'conflict', expectedVersion: expected, actualVersion: self.version, raced: false };
    }
  }
  let decision = host.stages.decide(self, command);
  if (decision instanceof Promise) decision = await decision;
  if (!decision.ok || decision.events.length === 0) {
    if (!decision.ok && decision.error.code !== 'rejected') return done(decision);
    if (!host.exclusive) {
      const seenVersion = self.version;
      await catchUp(host, self);
      if (self.version !== seenVersion) return RETRY;
    }
    // A rejection is stored as the commandId's decision, through the same dedupe as appends; a
    // no-op is not, so the log is asked whether the command was decided before (beyond the
    // recent-commit memory, or on another node).
    if (!decision.ok) return done(await refuseOnce(host.log, host.aggregate, host.id, command.commandId, decision));
    const firstDecision = await firstDecisionInLog(host, command.commandId);
    if (firstDecision !== undefined) return done(firstDecision);
    return done({ ok: true, version: self.version, position: self.position, events: [] });
  }
  let appended: AppendResult;
  // Timed here rather than by a wrapper around the log: a wrapper would add a promise and two
  // closures to every command.
  const appendStarted = host.observer.appended === undefined ? 0 : performance.now();
  try {
    appended = await host.log.append(host.aggregate, host.id, decision.events, {
      expectedVersion: self.version,
      commandId: command.commandId,
      correlationId: command.correlationId ?? command.commandId,
      causationId: command.commandId,
    });
  } catch (err) {
    reportAppend(host, appendStarted, toErrorShape(err).code);
    if (err instanceof AlreadyRefusedError) return done(refusedAnswer(err.refusal.answer));
    if (!(err instanceof ConcurrencyError)) throw err;
    await catchUp(host, self);
    return expected === undefined ? RETRY : { kind: 'conflict', expectedVersion: expected, actualVersion: self.version, raced: true };
  }
  reportAppend(host, appendStarted, appended.duplicate ? 'duplicate' : 'ok');
  if (appended.duplicate) {
    host.observer.dedupeHit?.(host.aggregate);
    // The log had this commandId from before our window, or from another node: its commit is the answer.
    if (appended.version > self.version) await catchUp(host, self);
    return done({ ok: true, version: appended.version, position: appended.position, events: appended.events });
  }
  return done(host.stages.accept(host, self, command, hash, appended));
}

function reportAppend(host: HostState, started: number, outcome: string): void {
  host.observer.appended?.((performance.now() - started) / 1000, outcome);
}

async function firstDecisionInLog(host: HostState, commandId: string): Promise<CommandResult | undefined> {
  const first = await decidedBefore(host.log, commandId);
  if (first !== undefined) host.observer.dedupeHit?.(host.aggregate);
  return first;
}

const plainStages: HostStages = {
  decide: (self, command) => self.decide(command),
  evolve: (self, envelopes) => self.evolve(envelopes),
  accept: acceptAppended,
};

/**
 * The host's stages: the plain ones, or ones timed by `probe` (the bench's budget).
 *
 * @example
 * ```ts
 * const stages = hostStages(options.probe);
 * ```
 */
export function hostStages(probe: StageProbe | undefined): HostStages {
  if (probe === undefined) return plainStages;
  return {
    decide: probed(probe, 'decide', plainStages.decide),
    evolve: probed(probe, 'evolve', plainStages.evolve),
    accept: probed(probe, 'reply', plainStages.accept),
  };
}
