import type { CommandResult } from '../commands/command.js';
import { ClosedError, ConfigError } from '../errors.js';
import type { EventLog } from '../eventLog/eventLog.js';
import type { Logger } from '../logging/logger.js';
import type { StageProbe } from '../logging/stageProbe.js';
import { hostStages } from './commandAttempt.js';
import { noopObserver, type Observer } from '../observability/observer.js';
import { createAggregateActor, type AggregateActor, type AggregateState } from './aggregateActor.js';
import type { CommandMessage } from './aggregateTypes.js';
import type { AnyAggregateDefinition } from './defineAggregate.js';

/**
 * Options of {@link createAggregateRegistry}.
 *
 * @example
 * ```ts
 * const registry = createAggregateRegistry({ log, logger, maxActors: 50_000 });
 * ```
 */
export type AggregateRegistryOptions = {
  log: EventLog;
  logger: Logger;
  /** Live actors kept in memory; the least recently used idle ones are evicted past it. Default 10,000. */
  maxActors?: number;
  /** Attempts of one command under write conflicts before `conflict`. Default 3. */
  maxAttempts?: number;
  /** Recent commits remembered per live actor to answer a retried commandId. Default 128. */
  dedupeWindow?: number;
  /** Diagnostics: times the decide, evolve and reply stages (the bench's budget). Leave unset. */
  probe?: StageProbe;
  /** Told of loads, evictions, retries and dedupe hits. Default: nothing is reported. */
  observer?: Observer;
  /** `snapshotEvery` of the aggregates whose definition sets none. Default none. */
  snapshotEvery?: number;
};

/**
 * The live aggregate actors: one per (aggregate, id), created on demand (rehydrating from the log)
 * and evicted (approximately) least-recently-used past `maxActors`, so memory stays bounded however many ids are
 * touched. An actor with queued or running work is never evicted, so a mailbox is never split in
 * two.
 *
 * @example
 * ```ts
 * const result = await registry.execute(Account, command);
 * const state = await registry.state(Account, 'a-1');
 * ```
 */
export type AggregateRegistry = {
  /** Runs a validated command on its instance. Never rejects. */
  execute(definition: AnyAggregateDefinition, command: CommandMessage): Promise<CommandResult>;
  /** The write-model state of an instance; undefined when it has no events. */
  state(definition: AnyAggregateDefinition, id: string): Promise<AggregateState | undefined>;
  /** Live actors right now. */
  readonly size: number;
  /** Actors evicted so far to stay within `maxActors`. */
  readonly evictions: number;
  /**
   * Drops the live actors of an aggregate once idle, so that they reload from the log (after a
   * `forget`, their state still holds the erased personal data).
   */
  drop(aggregate: string): Promise<void>;
  /** Refuses new work, finishes queued work and pending snapshot saves, then releases the actors. */
  close(): Promise<void>;
};

type Slot = { readonly actor: AggregateActor; readonly ids: Map<string, Slot>; used: boolean };

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

/**
 * Creates the registry of live aggregate actors over an event log.
 *
 * @example
 * ```ts
 * const registry = createAggregateRegistry({ log, logger });
 * await registry.execute(Account, { type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' }, commandId: 'c-1' });
 * await registry.close();
 * ```
 */
export function createAggregateRegistry(options: AggregateRegistryOptions): AggregateRegistry {
  const { log, logger } = options;
  const maxActors = positiveInteger('maxActors', options.maxActors, 10_000);
  const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts, 3);
  const dedupeWindow = positiveInteger('dedupeWindow', options.dedupeWindow, 128, 0);
  const stages = hostStages(options.probe);
  const observer = options.observer ?? noopObserver;
  const snapshotEvery = options.snapshotEvery === undefined ? undefined : positiveInteger('snapshotEvery', options.snapshotEvery, 1);
  // One copy per definition, so every actor of an aggregate shares it.
  const withDefault = new Map<AnyAggregateDefinition, AnyAggregateDefinition>();
  const withSnapshots = (definition: AnyAggregateDefinition): AnyAggregateDefinition => {
    // An aggregate with personal fields takes no snapshots: a snapshot is its state in the clear.
    if (snapshotEvery === undefined || definition.snapshotEvery !== undefined || definition.personal !== undefined) return definition;
    let copy = withDefault.get(definition);
    if (copy === undefined) withDefault.set(definition, (copy = { ...definition, snapshotEvery }));
    return copy;
  };
  // Eviction is CLOCK, an LRU approximation: a lookup only sets `used`, and the sweep gives a used
  // actor a second chance by moving it to the back. That keeps the per-command cost at two map
  // lookups, where exact LRU would reorder a map on every command.
  const byName = new Map<string, Map<string, Slot>>();
  const clock = new Set<Slot>();
  const saves = new Set<Promise<unknown>>();
  const track = (pending: Promise<unknown>): void => {
    saves.add(pending);
    void pending.finally(() => saves.delete(pending));
  };
  let closed: Promise<void> | undefined;
  let evictions = 0;

  const evict = (): void => {
    // Every slot is visited at most twice (once to clear `used`), so a sweep always ends.
    let budget = clock.size * 2;
    for (const slot of clock) {
      if (clock.size <= maxActors || budget-- <= 0) return;
      if (slot.actor.busy) continue;
      clock.delete(slot);
      if (slot.used) {
        slot.used = false;
        clock.add(slot);
      } else {
        slot.ids.delete(slot.actor.id);
        evictions++;
        observer.actorEvicted?.(slot.actor.aggregate);
      }
    }
  };

  const actorFor = (definition: AnyAggregateDefinition, id: string): AggregateActor => {
    let ids = byName.get(definition.name);
    if (ids === undefined) {
      ids = new Map();
      byName.set(definition.name, ids);
    }
    const slot = ids.get(id);
    if (slot !== undefined) {
      slot.used = true;
      return slot.actor;
    }
    const actor = createAggregateActor({ definition: withSnapshots(definition), id, log, logger, maxAttempts, dedupeWindow, track, stages, observer });
    observer.actorLoaded?.(definition.name);
    const created: Slot = { actor, ids, used: true };
    ids.set(id, created);
    clock.add(created);
    return actor;
  };

  const refused = (): ClosedError => new ClosedError('the app is closing; no new commands are accepted');

  const shutdown = async (): Promise<void> => {
    await Promise.all([...clock].map((slot) => slot.actor.idle()));
    await Promise.allSettled([...saves]);
    clock.clear();
    byName.clear();
  };

  return {
    execute(definition, command) {
      if (closed !== undefined) return Promise.resolve({ ok: false, error: refused().toShape() });
      const result = actorFor(definition, command.id).execute(command);
      // After execute the new actor is busy, so eviction cannot pick it.
      if (clock.size > maxActors) evict();
      return result;
    },
    state(definition, id) {
      if (closed !== undefined) return Promise.reject(refused());
      const result = actorFor(definition, id).state();
      if (clock.size > maxActors) evict();
      return result;
    },
    get size() {
      return clock.size;
    },
    get evictions() {
      return evictions;
    },
    async drop(aggregate) {
      const ids = byName.get(aggregate);
      if (ids === undefined) return;
      await Promise.all(
        [...ids.values()].map(async (slot) => {
          await slot.actor.idle();
          // A command that came in meanwhile keeps its actor: dropping it would split its mailbox.
          if (slot.actor.busy || ids.get(slot.actor.id) !== slot) return;
          ids.delete(slot.actor.id);
          clock.delete(slot);
        }),
      );
    },
    close() {
      closed ??= shutdown();
      return closed;
    },
  };
}
