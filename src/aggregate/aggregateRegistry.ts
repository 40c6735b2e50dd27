import type { CommandResult } from '../commands/command.js';
import { ClosedError, ConfigError } from '../errors.js';
import type { EventLog } from '../eventLog/eventLog.js';
import type { Logger } from '../logging/logger.js';
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
};

/**
 * The live aggregate actors: one per (aggregate, id), created on demand (rehydrating from the log)
 * and evicted least-recently-used past `maxActors`, so memory stays bounded however many ids are
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
  /** Refuses new work, finishes queued work and pending snapshot saves, then releases the actors. */
  close(): Promise<void>;
};

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
  // Map order is recency order: a touched actor is moved to the end, eviction starts at the front.
  const actors = new Map<string, AggregateActor>();
  const saves = new Set<Promise<unknown>>();
  const track = (pending: Promise<unknown>): void => {
    saves.add(pending);
    void pending.finally(() => saves.delete(pending));
  };
  let closed: Promise<void> | undefined;

  const evict = (): void => {
    for (const [key, actor] of actors) {
      if (actors.size <= maxActors) return;
      if (!actor.busy) actors.delete(key);
    }
  };

  const actorFor = (definition: AnyAggregateDefinition, id: string): AggregateActor => {
    const key = `${definition.name}/${id}`;
    let actor = actors.get(key);
    if (actor !== undefined) {
      actors.delete(key);
    } else {
      actor = createAggregateActor({ definition, id, log, logger, maxAttempts, dedupeWindow, track });
    }
    actors.set(key, actor);
    return actor;
  };

  const refused = (): ClosedError => new ClosedError('the app is closing; no new commands are accepted');

  const shutdown = async (): Promise<void> => {
    await Promise.all([...actors.values()].map((a) => a.idle()));
    await Promise.allSettled([...saves]);
    actors.clear();
  };

  return {
    execute(definition, command) {
      if (closed !== undefined) return Promise.resolve({ ok: false, error: refused().toShape() });
      const result = actorFor(definition, command.id).execute(command);
      // After execute the new actor is busy, so eviction cannot pick it.
      if (actors.size > maxActors) evict();
      return result;
    },
    state(definition, id) {
      if (closed !== undefined) return Promise.reject(refused());
      const result = actorFor(definition, id).state();
      if (actors.size > maxActors) evict();
      return result;
    },
    get size() {
      return actors.size;
    },
    close() {
      closed ??= shutdown();
      return closed;
    },
  };
}
