import type { StateValue } from 'xstate';
import type { CommandResult } from '../commands/command.js';
import { ConcurrencyError, toErrorShape } from '../errors.js';
import type { EventLog } from '../eventLog/eventLog.js';
import type { Logger } from '../logging/logger.js';
import { noopObserver, type Observer } from '../observability/observer.js';
import type { CommandMessage } from './aggregateTypes.js';
import { attempt, hostStages } from './commandAttempt.js';
import type { AnyAggregateDefinition } from './defineAggregate.js';
import { discard, type HostStages, type HostState, type QueuedJob } from './hostState.js';
import { createMailbox, enqueue, enter, leave, whenIdle } from './mailbox.js';
import { createRecentCommits, hashCommandId } from './recentCommits.js';
import { catchUp, current } from './rehydrate.js';

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
  /** The command steps, shared by the registry's hosts (see `hostStages`); default the plain ones. */
  stages?: HostStages;
  /** Told of retries after a conflict and of dedupe hits. */
  observer?: Observer;
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

// A host is its HostState plus the methods of AggregateActor; one object per live aggregate. The
// methods live on one shared prototype, so that a host has no closures of its own.
type Host = Mutable<AggregateActor & HostState>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// Starts a job that waited in a mailbox; a job that ran at once was started by execute or state.
function startQueued(job: QueuedJob): void {
  if (job.command !== undefined) handle(job.host, job.command).then(job.resolve);
  else readState(job.host).then(job.resolve, job.reject);
}

function conflict(host: HostState, message: string, details: Record<string, unknown>): CommandResult {
  return { ok: false, error: new ConcurrencyError(message, { aggregate: host.aggregate, id: host.id, ...details }).toShape() };
}

function failed(host: HostState, command: CommandMessage, err: unknown): CommandResult {
  const shape = toErrorShape(err);
  if (shape.code === 'internal') {
    host.logger.error({ aggregate: host.aggregate, id: host.id, commandId: command.commandId, err }, 'command failed');
    discard(host);
  }
  return { ok: false, error: shape };
}

// One command, attempted until it is done, its expectation fails, or the attempts run out.
// Never rejects: every failure becomes a result.
async function handle(host: HostState, command: CommandMessage): Promise<CommandResult> {
  const { aggregate, id } = host;
  const hash = hashCommandId(command.commandId);
  try {
    for (let n = 1; ; n++) {
      const outcome = await attempt(host, command, hash);
      if (outcome.kind === 'done') return outcome.result;
      if (outcome.kind === 'conflict') {
        const { expectedVersion, actualVersion } = outcome;
        const why = outcome.raced ? 'another writer got there first' : `it is at version ${actualVersion}`;
        return conflict(host, `${aggregate} ${id}: expected version ${expectedVersion}, but ${why}`, { expectedVersion, actualVersion });
      }
      if (n >= host.maxAttempts) {
        return conflict(host, `${aggregate} ${id}: gave up on ${command.type} after ${n} attempts; other writers kept changing it`, { attempts: n });
      }
      host.observer.commandRetried?.(aggregate);
    }
  } catch (err) {
    return failed(host, command, err);
  } finally {
    leave(host.mailbox);
  }
}

async function readState(host: HostState): Promise<AggregateState | undefined> {
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
    leave(host.mailbox);
  }
}

const hostMethods: Omit<AggregateActor, 'aggregate' | 'id'> & ThisType<Host> = {
  get busy() {
    return this.mailbox.busy;
  },
  execute(command) {
    if (enter(this.mailbox)) return handle(this, command);
    return new Promise<CommandResult>((resolve) => enqueue(this.mailbox, { host: this, command, resolve }));
  },
  state() {
    if (enter(this.mailbox)) return readState(this);
    return new Promise<AggregateState | undefined>((resolve, reject) => enqueue(this.mailbox, { host: this, command: undefined, resolve, reject }));
  },
  idle() {
    return whenIdle(this.mailbox);
  },
};

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
  const host = Object.create(hostMethods) as Host;
  host.definition = definition;
  host.aggregate = definition.name;
  host.id = id;
  host.log = log;
  host.logger = options.logger;
  host.maxAttempts = options.maxAttempts;
  host.track = options.track;
  host.stages = options.stages ?? hostStages(undefined);
  host.observer = options.observer ?? noopObserver;
  host.exclusive = log.exclusiveWriter === true;
  host.recent = createRecentCommits(options.dedupeWindow);
  host.mailbox = createMailbox<QueuedJob>(startQueued);
  host.instance = undefined;
  return host;
}
