import { join } from 'node:path';
import { createAggregateRegistry, type AggregateRegistry } from '../../src/aggregate/aggregateRegistry.js';
import { createDispatch } from '../../src/commands/dispatch.js';
import { createLmdbEventLog } from '../../src/eventLog/lmdb/createLmdbEventLog.js';
import { createNatsEventLog, type NatsEventLogOptions } from '../../src/eventLog/nats/createNatsEventLog.js';
import type { AnyAggregateDefinition, App, Command, CommandResult, EventLog } from '../../src/index.js';
import { probed, type StageProbe } from '../../src/logging/stageProbe.js';
import { benchLogger as logger } from './benchLogger.js';

/** The part of an app the bench drives, plus its registry (live actors, evictions). */
export type ProbedApp = {
  send(command: Command): Promise<CommandResult>;
  state: App['state'];
  readonly registry: AggregateRegistry;
  close(): Promise<void>;
};

/**
 * The embedded write path wired as `createApp` wires it (LMDB log in `<dataDir>/log`, registry,
 * dispatch), with its registry in reach and, given a `probe`, every stage timed: validate
 * (dispatch), route (registry and mailbox), decide, encode, append, evolve and reply. Only the
 * bench builds it; production apps never carry a probe.
 *
 * @example
 * ```ts
 * const app = await openProbedApp(dir, [Account], { probe: budget.probe });
 * ```
 */
export async function openProbedApp(
  dataDir: string,
  aggregates: readonly AnyAggregateDefinition[],
  options: { probe?: StageProbe; maxActors?: number },
): Promise<ProbedApp> {
  const log = await createLmdbEventLog({ path: join(dataDir, 'log'), logger, probe: options.probe });
  return wire(log, aggregates, options);
}

/**
 * The same on the JetStream engine, dispatching in-process (no command service).
 *
 * @example
 * ```ts
 * const app = await openProbedNatsApp({ servers: url, stream: 'W1_BUDGET', prefix: 'w1_budget' }, [Account], budget.probe);
 * ```
 */
export async function openProbedNatsApp(
  log: Pick<NatsEventLogOptions, 'servers' | 'stream' | 'prefix'>,
  aggregates: readonly AnyAggregateDefinition[],
  probe: StageProbe,
): Promise<ProbedApp> {
  return wire(await createNatsEventLog({ ...log, logger, probe }), aggregates, { probe });
}

function wire(log: EventLog, aggregates: readonly AnyAggregateDefinition[], options: { probe?: StageProbe; maxActors?: number }): ProbedApp {
  const { probe, maxActors } = options;
  const registry = createAggregateRegistry({ log, logger, probe, maxActors });
  const routed = { ...registry, execute: probed(probe, 'route', registry.execute) };
  const send = probed(probe, 'validate', createDispatch({ aggregates, registry: routed, logger }));
  const byName = new Map(aggregates.map((d) => [d.name, d]));
  return {
    send,
    registry,
    state: ((aggregate: string | AnyAggregateDefinition, id: string) =>
      registry.state(typeof aggregate === 'string' ? byName.get(aggregate)! : aggregate, id)) as App['state'],
    async close() {
      await registry.close();
      await log.close();
    },
  };
}
