import type { Commit } from '../eventLog/eventLog.js';

/**
 * How one command ended, as the app answered it. `code` is `ok` or the error code of the reply
 * (`rejected`, `invalid`, `conflict`, ...). `aggregate` and `type` are only ever names the app
 * knows (else `unknown`), so that a label set stays bounded whatever a client sends.
 *
 * @example
 * ```ts
 * const outcome: CommandOutcome = { aggregate: 'Account', type: 'Deposit', code: 'ok', seconds: 0.0012 };
 * ```
 */
export type CommandOutcome = {
  readonly aggregate: string;
  readonly type: string;
  readonly code: string;
  /** From receipt to reply. */
  readonly seconds: number;
};

/**
 * What the running parts of an app report as they work: the one seam between the engine code and
 * metrics (or any other sink). Every method is optional and must be cheap and must never throw;
 * the engine calls them inline. Labels are bounded: aggregate, command and projection names,
 * never an aggregate id.
 *
 * @example
 * ```ts
 * const observer: Observer = { commandHandled: (o) => console.log(o.aggregate, o.type, o.code, o.seconds) };
 * const app = await createApp({ engine: 'embedded', dataDir: './data', aggregates: [Account], observer });
 * ```
 */
export type Observer = {
  /** A command was answered (in-process or over NATS). */
  commandHandled?(outcome: CommandOutcome): void;
  /** The host retried a command after a write conflict. */
  commandRetried?(aggregate: string): void;
  /** A repeated commandId was answered with its first decision. */
  dedupeHit?(aggregate: string): void;
  /** An aggregate instance was brought into memory (it rehydrates on first use). */
  actorLoaded?(aggregate: string): void;
  /** An idle aggregate instance was evicted from memory. */
  actorEvicted?(aggregate: string): void;
  /** A snapshot load finished: `found` false when the instance had none. */
  snapshotLoaded?(aggregate: string, found: boolean): void;
  /** A snapshot was saved. */
  snapshotSaved?(aggregate: string): void;
  /** One append finished; `outcome` is `ok`, `duplicate` or the error code. */
  appended?(seconds: number, outcome: string): void;
  /** A command that arrived here was forwarded to the write node owning its shard. */
  commandForwarded?(aggregate: string): void;
  /** The write nodes this node sees changed (`joined`, `left` or `lease expired`): shards may have moved. */
  ownershipChanged?(reason: string): void;
  /** A projection applied and committed `commits` (in position order) in `seconds`. */
  projectionBatch?(projection: string, commits: readonly Commit[], seconds: number): void;
};

/**
 * The observer that does nothing: the default, so instrumented code never checks for one.
 *
 * @example
 * ```ts
 * const observer = options.observer ?? noopObserver;
 * observer.actorLoaded?.('Account');
 * ```
 */
export const noopObserver: Observer = Object.freeze({});

/**
 * One observer that forwards every report to each of `observers`, in order.
 *
 * @example
 * ```ts
 * const observer = combineObservers(metrics.observer, { commandHandled: (o) => audit(o) });
 * ```
 */
export function combineObservers(...observers: readonly Observer[]): Observer {
  const list = observers.filter((o) => o !== noopObserver);
  if (list.length === 1) return list[0]!;
  const combined: Record<string, (...args: unknown[]) => void> = {};
  for (const observer of list) {
    for (const [key, fn] of Object.entries(observer) as Array<[string, (...args: unknown[]) => void]>) {
      const previous = combined[key];
      combined[key] = previous === undefined ? fn : (...args) => (previous(...args), fn(...args));
    }
  }
  return combined as Observer;
}
