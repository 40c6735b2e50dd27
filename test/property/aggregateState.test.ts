/**
 * Property 2: every aggregate's live state = its state rehydrated from the log = its state restored
 * from its latest snapshot plus the events after it = the model's state, for random snapshot
 * intervals (none, or every 1..4 events, per aggregate type) and live-actor limits (1 and 2 force
 * evictions, so that commands keep reloading instances from snapshots mid-history). Histories
 * include app restarts with commands in flight.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { createAggregateInstance } from '../../src/aggregate/aggregateInstance.js';
import { fromSnapshotState } from '../../src/aggregate/snapshotState.js';
import { ALL_IDS, history, writeConfig, type WriteConfig } from './arbitraries.js';
import { expectedAggregateState } from './model/aggregateStates.js';
import { aggregateStateRegressions } from './regressions/aggregateState.js';
import { assertSame } from './support/compare.js';
import { createCoverage } from './support/coverage.js';
import { aggregates, closeNats, createStore, ENGINES } from './support/engines.js';
import { numRuns, parameters, timeoutFor } from './support/fcSettings.js';
import { withHistoryRunner, type HistoryRunner } from './support/historyRunner.js';

// NATS histories got slower with the per-version subjects (issue 8; each cold load walks the
// chain): fewer in CI, `npm run test:deep` runs 20 times as many.
const RUNS = { embedded: 250, nats: 50 } as const;

afterAll(closeNats);

// Restores each instance by hand from the snapshot store and the tail of its stream.
async function checkSnapshots(runner: HistoryRunner, write: WriteConfig): Promise<number> {
  const log = runner.app.log;
  const definitions = new Map(aggregates(write.snapshotEvery).map((d) => [d.name, d]));
  let restored = 0;
  for (const [aggregate, id] of ALL_IDS) {
    const expected = expectedAggregateState(runner.world, aggregate, id);
    const every = definitions.get(aggregate)?.snapshotEvery;
    const snapshot = await log.snapshots.load(aggregate, id);
    if (snapshot === undefined) {
      if (every !== undefined && expected !== undefined && expected.version >= every) {
        throw new Error(`${aggregate}/${id} is at version ${expected.version} with snapshotEvery ${every}, but has no snapshot`);
      }
      continue;
    }
    if (every === undefined) throw new Error(`${aggregate}/${id} has a snapshot although its aggregate takes none`);
    const stream = runner.world.streams.get(`${aggregate}/${id}`);
    const at = stream?.events[snapshot.version - 1];
    if (!at || snapshot.position !== at.position) {
      throw new Error(`${aggregate}/${id}: snapshot at version ${snapshot.version}, position ${snapshot.position}; the stream has ${stream?.version ?? 0} events`);
    }
    const definition = definitions.get(aggregate)!;
    const state = fromSnapshotState(snapshot.state, definition.machine.version);
    if (state === undefined) throw new Error(`${aggregate}/${id}: the snapshot at version ${snapshot.version} cannot be read back`);
    const instance = createAggregateInstance(definition, id, { state: state.machine, version: snapshot.version, position: snapshot.position });
    instance.evolve(await log.readStream(aggregate, id, { fromVersion: snapshot.version + 1 }));
    assertSame(
      `${aggregate}/${id} restored from its snapshot at version ${snapshot.version} plus the tail`,
      expected,
      { value: instance.snapshot.value, context: instance.snapshot.context, version: instance.version },
    );
    restored++;
  }
  return restored;
}

describe.each(ENGINES)('aggregate state on the %s engine', (engine) => {
  it(
    'live = rehydrated from the log = restored from a snapshot plus the tail = the model',
    async () => {
      const coverage = createCoverage();
      let restored = 0;
      await fc.assert(
        fc.asyncProperty(history({ restarts: true, settles: true }), writeConfig, async (commands, write) => {
          const store = await createStore(engine);
          try {
            await withHistoryRunner(store, { write }, async (runner) => {
              await fc.asyncModelRun(() => ({ model: {}, real: runner }), commands);
              coverage.add(runner.stats);
              await runner.checkAggregates(runner.app, 'live');
              // No snapshots at all: every instance replays its whole stream.
              await runner.checkAggregates(await runner.restartApp({ snapshotEvery: {}, maxActors: write.maxActors }), 'rehydrated from the log');
              // The history's snapshot settings: instances start from their latest snapshot.
              await runner.checkAggregates(await runner.restartApp(write), 'restored from snapshots');
              restored += await checkSnapshots(runner, write);
            });
          } finally {
            await store.dispose();
          }
        }),
        parameters(RUNS[engine], 'aggregateState.ts', aggregateStateRegressions),
      );
      coverage.check(numRuns(RUNS[engine]));
      // Snapshots must actually have been exercised, not just allowed.
      if (process.env.FC_NUM_RUNS === undefined && restored < numRuns(RUNS[engine])) throw new Error(`only ${restored} instances were restored from snapshots`);
    },
    timeoutFor(RUNS[engine]),
  );
});
