import type { StateValue } from 'xstate';
import type { CommandResult } from '../commands/command.js';
import { ConcurrencyError, InternalError, TributaryError, toErrorShape } from '../errors.js';
import type { AppendResult, EventLog } from '../eventLog/eventLog.js';
import type { Logger } from '../logging/logger.js';
import { createAggregateInstance, type AggregateInstance, type InstanceStart } from './aggregateInstance.js';
import type { CommandMessage } from './aggregateTypes.js';
import { decidedBefore } from './decidedBefore.js';
import type { AnyAggregateDefinition } from './defineAggregate.js';
import { createRecentCommits, hashCommandId, type CommitRef, type RecentCommits } from './recentCommits.js';
import { fromSnapshotState, toSnapshotState } from './snapshotState.js';

/**
 * An aggregate's state as the write model holds it: strongly consistent with every acknowledged
 * command.
 *
 * @example
 * ```ts
 * const s: AggregateState<{ balance: number }> | undefined = await app.state(Account, 'a-1');
 * if (s) console.log(s.value, s.context.balance, s.version);
 * ```
 */
export type AggregateState<Context = unknown> = {
  readonly value: StateValue;
  readonly context: Context;
  readonly version: number;
};

/**
 * Options of {@link createAggregateActor}.
 *
 * @example
 * ```ts
 * const actor = createAggregateActor({ definition: Account, id: 'a-1', log, logger, maxAttempts: 3, dedupeWindow: 128 });
 * ```
 */
export type AggregateActorOptions = {
  definition: AnyAggregateDefinition;
  id: string;
  log: EventLog;
  logger: Logger;
  /** Attempts of one command when another writer keeps winning (ConcurrencyError), then `conflict`. */
  maxAttempts: number;
  /** How many recent commits per aggregate are remembered to recognise a retried commandId. */
  dedupeWindow: number;
  /** Receives each snapshot save in flight, so that shutdown can wait for it. */
  track?: (pending: Promise<unknown>) => void;
};

/**
 * The host of one aggregate instance (DESIGN.md, "Aggregates are XState actors"). Commands go
 * through a mailbox, one at a time; different instances run in parallel. For each command it:
 * answers a repeated commandId with the first result; checks `expectedVersion`; asks the machine
 * (send, collect emitted events, or a rejection; not accepted as `can()` would say); appends ONE
 * commit at the instance's version; and only then evolves the machine with the stored envelopes.
 * On a `ConcurrencyError` (another writer won) it catches up from the log and retries, up to
 * `maxAttempts`. A refusal or a no-op writes nothing, so no conflict would reveal a stale
 * instance: before answering one, it catches up from the log, and decides again if another writer
 * had moved the aggregate on; so does a state read. Both skip that read when the log is an
 * `exclusiveWriter`, since then no other writer exists.
 *
 * A command that emits no event succeeds without writing: the result carries the current version
 * and the position of the aggregate's last commit (0 if none), and `events: []`. A retried
 * commandId is recognised among the last `dedupeWindow` commits of the aggregate (and, beyond
 * that, by the log's own dedupe whenever the re-run emits events).
 *
 * @example
 * ```ts
 * const result = await actor.execute({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 10 }, commandId });
 * ```
 */
export type AggregateActor = {
  readonly aggregate: string;
  readonly id: string;
  /** True while a command or read is queued or running; a busy actor must not be evicted. */
  readonly busy: boolean;
  /** Runs a validated command. Never rejects: failures are `{ ok: false, error }`. */
  execute(command: CommandMessage): Promise<CommandResult>;
  /** The current state after every command queued before it, caught up with the log; undefined when there are no events. */
  state(): Promise<AggregateState | undefined>;
  /** Resolves once nothing is queued or running. */
  idle(): Promise<void>;
};

// A job waiting in the mailbox: a command, or (without one) a state read.
type Queued =
  | { readonly command: CommandMessage; readonly resolve: (result: CommandResult) => void }
  | {
      readonly command: undefined;
      readonly resolve: (state: AggregateState | undefined) => void;
      readonly reject: (err: unknown) => void;
    };

// A host is this one object: its state, and the methods of AggregateActor calling module
// functions. One object per live aggregate; and no named closure is made per host, since under
// tsx (esbuild's keepNames) each one also costs a `defineProperty`, about a microsecond and 350 bytes.
type Host = AggregateActor & {
  readonly definition: AnyAggregateDefinition;
  readonly log: EventLog;
  readonly logger: Logger;
  readonly maxAttempts: number;
  readonly track: ((pending: Promise<unknown>) => void) | undefined;
  // Only this process appends to an exclusive log, so an instance can only be stale if it wrote
  // itself, which it would know: nothing needs re-reading before an answer that appends nothing.
  readonly exclusive: boolean;
  readonly recent: RecentCommits;
  instance: AggregateInstance | undefined;
  // The mailbox: `busy` while a job runs; later jobs wait in `waiting`. A job calls `release()`
  // as it ends (before its promise settles), which starts the next one at once: no promise per
  // command just to learn that it ended.
  busy: boolean;
  readonly waiting: Queued[];
  releasing: boolean;
  releasedAgain: boolean;
  idleWaiters: Array<() => void>;
};

function start(host: Host, job: Queued): void {
  if (job.command !== undefined) handle(host, job.command).then(job.resolve);
  else readState(host).then(job.resolve, job.reject);
}

// A job that ends without awaiting releases from inside `start`: the loop, not the stack, takes
// the next one, so a long queue of such jobs cannot overflow the stack.
function release(host: Host): void {
  if (host.releasing) {
    host.releasedAgain = true;
    return;
  }
  host.releasing = true;
  try {
    do {
      host.releasedAgain = false;
      const job = host.waiting.shift();
      if (job === undefined) {
        host.busy = false;
        if (host.idleWaiters.length > 0) {
          const waiters = host.idleWaiters;
          host.idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
        return;
      }
      start(host, job);
    } while (host.releasedAgain);
  } finally {
    host.releasing = false;
  }
}

function discard(host: Host): void {
  host.instance = undefined;
  host.recent.clear();
}

// Saving is fire-and-forget: a snapshot only ever saves load time, so it must never slow or fail a command.
function maybeSnapshot(host: Host, self: AggregateInstance, before: number): void {
  const { definition, aggregate, id, log, logger } = host;
  const every = definition.snapshotEvery;
  if (every === undefined || Math.floor(self.version / every) === Math.floor(before / every)) return;
  const fields = { aggregate, id, version: self.version };
  try {
    const state = toSnapshotState(definition.machine.version, self.persistedState(), host.recent.entries());
    const saving = log.snapshots
      .save(aggregate, id, { version: self.version, position: self.position, state })
      .catch((err: unknown) => logger.warn({ ...fields, err }, 'saving an aggregate snapshot failed; it only costs load time'));
    host.track?.(saving);
  } catch (err) {
    logger.warn({ ...fields, err }, 'taking an aggregate snapshot failed; it only costs load time');
  }
}

// Events are immutable, so reloading after another writer only needs the events after ours.
async function catchUp(host: Host, self: AggregateInstance): Promise<void> {
  const envelopes = await host.log.readStream(host.aggregate, host.id, { fromVersion: self.version + 1 });
  if (envelopes.length === 0) return;
  const before = self.version;
  self.evolve(envelopes);
  host.recent.addEnvelopes(envelopes);
  maybeSnapshot(host, self, before);
}

async function loadSnapshot(host: Host): Promise<InstanceStart | undefined> {
  const { aggregate, id } = host;
  const snapshot = await host.log.snapshots.load(aggregate, id);
  if (snapshot === undefined) return undefined;
  const state = fromSnapshotState(snapshot.state, host.definition.machine.version);
  if (state === undefined) {
    host.logger.warn({ aggregate, id, version: snapshot.version }, 'ignoring an aggregate snapshot of another format or machine version');
    return undefined;
  }
  host.recent.addEntries(state.recent);
  return { state: state.machine, version: snapshot.version, position: snapshot.position };
}

async function load(host: Host): Promise<AggregateInstance> {
  const { definition, aggregate, id, recent } = host;
  recent.clear();
  const start = definition.snapshotEvery === undefined ? undefined : await loadSnapshot(host);
  let loaded: AggregateInstance;
  try {
    loaded = createAggregateInstance(definition, id, start);
  } catch (err) {
    if (start === undefined) throw err;
    // Snapshots only ever change speed: one the machine cannot restore is replaced by a full replay.
    host.logger.warn({ aggregate, id, err }, 'an aggregate snapshot could not be restored; replaying all events');
    recent.clear();
    loaded = createAggregateInstance(definition, id);
  }
  try {
    await catchUp(host, loaded);
  } catch (err) {
    throw err instanceof TributaryError ? err : new InternalError(`loading ${aggregate} ${id} failed: ${String(err)}`, { aggregate, id });
  }
  return loaded;
}

async function current(host: Host): Promise<AggregateInstance> {
  return (host.instance ??= await load(host));
}

// The recent list holds only hashes: a hit is confirmed against the commit read back, and a
// hash collision with another command is simply not a duplicate.
async function firstResult(host: Host, commandId: string, ref: CommitRef): Promise<CommandResult | undefined> {
  const envelopes = await host.log.readStream(host.aggregate, host.id, { fromVersion: ref.version - ref.count + 1 });
  const events = envelopes.slice(0, ref.count);
  if (events.length !== ref.count || events[events.length - 1]?.commandId !== commandId) return undefined;
  return { ok: true, version: ref.version, position: ref.position, events };
}

function conflict(host: Host, message: string, details: Record<string, unknown>): CommandResult {
  return { ok: false, error: new ConcurrencyError(message, { aggregate: host.aggregate, id: host.id, ...details }).toShape() };
}

function gaveUp(host: Host, command: CommandMessage, attempts: number): CommandResult {
  return conflict(host, `${host.aggregate} ${host.id}: gave up on ${command.type} after ${attempts} attempts; other writers kept changing it`, {
    attempts,
  });
}

function failed(host: Host, command: CommandMessage, err: unknown): CommandResult {
  const shape = toErrorShape(err);
  if (shape.code === 'internal') {
    host.logger.error({ aggregate: host.aggregate, id: host.id, commandId: command.commandId, err }, 'command failed');
    discard(host);
  }
  return { ok: false, error: shape };
}

// Never rejects: every failure becomes a result.
async function handle(host: Host, command: CommandMessage): Promise<CommandResult> {
  const { aggregate, id, log, recent } = host;
  const { commandId } = command;
  const hash = hashCommandId(commandId);
  try {
    for (let attempt = 1; ; attempt++) {
      // Awaiting only when loading keeps a microtask off the hot path.
      const self = host.instance ?? (await current(host));
      const seen = recent.find(hash);
      const first = seen === undefined ? undefined : await firstResult(host, commandId, seen);
      if (first !== undefined) return first;
      const expected = command.expectedVersion;
      if (expected !== undefined && expected !== self.version) {
        // Another node may have written: a cached instance behind the expectation catches up first.
        if (expected > self.version) await catchUp(host, self);
        if (expected !== self.version) {
          const firstDecision = await decidedBefore(log, commandId);
          if (firstDecision !== undefined) return firstDecision;
          return conflict(host, `${aggregate} ${id}: expected version ${expected}, but it is at version ${self.version}`, {
            expectedVersion: expected,
            actualVersion: self.version,
          });
        }
      }
      let decision = self.decide(command);
      if (decision instanceof Promise) decision = await decision;
      if (!decision.ok || decision.events.length === 0) {
        if (!decision.ok && decision.error.code !== 'rejected') return decision;
        // Nothing is appended, so no conflict would reveal a stale instance (another writer may
        // have moved on): a refusal or a no-op is only answered once the instance is current.
        if (!host.exclusive) {
          const seenVersion = self.version;
          await catchUp(host, self);
          if (self.version !== seenVersion) {
            if (attempt < host.maxAttempts) continue;
            return gaveUp(host, command, attempt);
          }
        }
        const firstDecision = await decidedBefore(log, commandId);
        if (firstDecision !== undefined) return firstDecision;
        return decision.ok ? { ok: true, version: self.version, position: self.position, events: [] } : decision;
      }
      let appended: AppendResult;
      try {
        appended = await log.append(aggregate, id, decision.events, {
          expectedVersion: self.version,
          commandId,
          correlationId: command.correlationId ?? commandId,
          causationId: commandId,
        });
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
        await catchUp(host, self);
        if (expected !== undefined) {
          return conflict(host, `${aggregate} ${id}: expected version ${expected}, but another writer got there first`, {
            expectedVersion: expected,
            actualVersion: self.version,
          });
        }
        if (attempt >= host.maxAttempts) return gaveUp(host, command, attempt);
        continue;
      }
      if (appended.duplicate) {
        // The log had this commandId from before our window, or from another node: its commit is the answer.
        if (appended.version > self.version) await catchUp(host, self);
        return { ok: true, version: appended.version, position: appended.position, events: appended.events };
      }
      const before = self.version;
      recent.add(hash, appended.version, appended.events.length, appended.position);
      try {
        self.evolve(appended.events);
      } catch (err) {
        // The commit is durable, so the command succeeded; the machine is not, so reload it next time.
        host.logger.error({ aggregate, id, commandId, err }, 'an event transition failed after the append; the instance will be reloaded');
        discard(host);
        return { ok: true, version: appended.version, position: appended.position, events: appended.events };
      }
      maybeSnapshot(host, self, before);
      return { ok: true, version: appended.version, position: appended.position, events: appended.events };
    }
  } catch (err) {
    return failed(host, command, err);
  } finally {
    release(host);
  }
}

async function readState(host: Host): Promise<AggregateState | undefined> {
  try {
    const loaded = host.instance === undefined;
    const self = await current(host);
    if (!loaded && !host.exclusive) await catchUp(host, self);
    if (self.version === 0) return undefined;
    const snapshot = self.snapshot;
    return { value: snapshot.value, context: snapshot.context, version: self.version };
  } catch (err) {
    discard(host);
    throw err;
  } finally {
    release(host);
  }
}

/**
 * Creates the host of one aggregate instance. It loads lazily: the first command (or read)
 * rehydrates it from the log (snapshot, then the events after it).
 *
 * @example
 * ```ts
 * const actor = createAggregateActor({ definition: Account, id: 'a-1', log, logger, maxAttempts: 3, dedupeWindow: 128 });
 * const r = await actor.execute(command);
 * ```
 */
export function createAggregateActor(options: AggregateActorOptions): AggregateActor {
  const { definition, id, log } = options;
  const host: Host = {
    definition,
    aggregate: definition.name,
    id,
    log,
    logger: options.logger,
    maxAttempts: options.maxAttempts,
    track: options.track,
    exclusive: log.exclusiveWriter === true,
    recent: createRecentCommits(options.dedupeWindow),
    instance: undefined,
    busy: false,
    waiting: [],
    releasing: false,
    releasedAgain: false,
    idleWaiters: [],
    execute(command) {
      if (!host.busy) {
        host.busy = true;
        return handle(host, command);
      }
      return new Promise<CommandResult>((resolve) => host.waiting.push({ command, resolve }));
    },
    state() {
      if (!host.busy) {
        host.busy = true;
        return readState(host);
      }
      return new Promise<AggregateState | undefined>((resolve, reject) => host.waiting.push({ command: undefined, resolve, reject }));
    },
    idle() {
      return host.busy ? new Promise<void>((resolve) => host.idleWaiters.push(resolve)) : Promise.resolve();
    },
  };
  return host;
}
