import type { CommandResult } from '../commands/command.js';
import type { AppendResult, EventEnvelope, EventLog } from '../eventLog/eventLog.js';
import type { Logger } from '../logging/logger.js';
import type { Observer } from '../observability/observer.js';
import type { AggregateState } from './aggregateActor.js';
import type { AggregateInstance } from './aggregateInstance.js';
import type { CommandMessage } from './aggregateTypes.js';
import type { AnyAggregateDefinition } from './defineAggregate.js';
import type { Mailbox } from './mailbox.js';
import type { RecentCommits } from './recentCommits.js';

/**
 * The steps of a command that the bench times as stages. Made once per registry and shared by
 * its hosts: the plain steps in production, timed ones under a `StageProbe` (see `hostStages`).
 *
 * @example
 * ```ts
 * const decision = host.stages.decide(host.instance, command);
 * ```
 */
export type HostStages = {
  readonly decide: (self: AggregateInstance, command: CommandMessage) => ReturnType<AggregateInstance['decide']>;
  readonly evolve: (self: AggregateInstance, envelopes: readonly EventEnvelope[]) => void;
  /** After the append: remember the commit, evolve, and build the result. */
  readonly accept: (host: HostState, self: AggregateInstance, command: CommandMessage, hash: number, appended: AppendResult) => CommandResult;
};

/**
 * The state of the host of one aggregate instance, shared by the modules that make up the host:
 * the mailbox and loop (`aggregateActor.ts`), one command attempt (`commandAttempt.ts`) and the
 * reads from the log (`rehydrate.ts`). One such object per live aggregate.
 *
 * @example
 * ```ts
 * const self = host.instance ?? (await current(host));
 * ```
 */
export type HostState = {
  readonly definition: AnyAggregateDefinition;
  readonly aggregate: string;
  readonly id: string;
  readonly log: EventLog;
  readonly logger: Logger;
  readonly maxAttempts: number;
  readonly stages: HostStages;
  readonly track: ((pending: Promise<unknown>) => void) | undefined;
  /** Told of retries after a conflict and of dedupe hits (metrics); the no-op observer by default. */
  readonly observer: Observer;
  // Only this process appends to an exclusive log, so an instance can only be stale if it wrote
  // itself, which it would know: nothing needs re-reading before an answer that appends nothing.
  readonly exclusive: boolean;
  readonly recent: RecentCommits;
  readonly mailbox: Mailbox<QueuedJob>;
  instance: AggregateInstance | undefined;
};

/**
 * A job waiting in a host's mailbox: a command, or (without one) a state read. It names its host,
 * so that one module function starts every queued job.
 *
 * @example
 * ```ts
 * enqueue(host.mailbox, { host, command, resolve });
 * ```
 */
export type QueuedJob =
  | { readonly host: HostState; readonly command: CommandMessage; readonly resolve: (result: CommandResult) => void }
  | {
      readonly host: HostState;
      readonly command: undefined;
      readonly resolve: (state: AggregateState | undefined) => void;
      readonly reject: (err: unknown) => void;
    };

/**
 * Forgets the in-memory instance, so that the next job reloads it from the log.
 *
 * @example
 * ```ts
 * discard(host); // after an internal error
 * ```
 */
export function discard(host: HostState): void {
  host.instance = undefined;
  host.recent.clear();
}
