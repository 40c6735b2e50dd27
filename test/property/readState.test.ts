/**
 * Property 1: after any history, the live read state = the read state after rebuilding every
 * projection from position 0 = the reference model's read state. Along the way every command's
 * result matches the model, views and aggregate states are compared at random intermediate points
 * (settle steps), single projections are rebuilt while commands run, and at the end the log
 * itself, read back from position 1, holds exactly the model's commits.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { history, readConfig, writeConfig } from './arbitraries.js';
import { PROJECTIONS } from './model/readModels.js';
import { readStateRegressions } from './regressions/readState.js';
import { createCoverage } from './support/coverage.js';
import { closeNats, createStore, ENGINES } from './support/engines.js';
import { numRuns, parameters, timeoutFor } from './support/fcSettings.js';
import { withHistoryRunner } from './support/historyRunner.js';

const RUNS = { embedded: 180, nats: 100 } as const;

afterAll(closeNats);

describe.each(ENGINES)('read state on the %s engine', (engine) => {
  it(
    'live = rebuilt from position 0 = the model',
    async () => {
      const coverage = createCoverage();
      await fc.assert(
        fc.asyncProperty(history({ settles: true, rebuilds: true }), fc.record({ write: writeConfig, read: readConfig }), async (commands, config) => {
          const store = await createStore(engine);
          try {
            await withHistoryRunner(store, config, async (runner) => {
              await fc.asyncModelRun(() => ({ model: {}, real: runner }), commands);
              coverage.add(runner.stats);
              await runner.settle();
              await runner.checkLog();
              const projections = runner.projections!;
              for (const name of PROJECTIONS) await projections.get(name).rebuild();
              await runner.checkViews(projections, 'after rebuilding every projection');
            });
          } finally {
            await store.dispose();
          }
        }),
        parameters(RUNS[engine], 'readState.ts', readStateRegressions),
      );
      coverage.check(numRuns(RUNS[engine]));
    },
    timeoutFor(RUNS[engine]),
  );
});
