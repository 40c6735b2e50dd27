/**
 * Property 4: closing and reopening the app and the projection runner at random points of a
 * history, with commands in flight and projections mid-batch (closing starts a random number of
 * event-loop turns after the in-flight commands were issued, projections first, app first, or
 * both at once), yields the same final read state as an uninterrupted run: a fresh set of
 * projections fed the whole log in one go. Both must equal the model, and so must every command's
 * outcome after each restart (the write side reloads from the log and snapshots).
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { history, readConfig, writeConfig } from './arbitraries.js';
import { restartRegressions } from './regressions/restarts.js';
import { assertSame } from './support/compare.js';
import { createCoverage } from './support/coverage.js';
import { closeNats, createStore, ENGINES, openProjections } from './support/engines.js';
import { numRuns, parameters, timeoutFor } from './support/fcSettings.js';
import { withHistoryRunner } from './support/historyRunner.js';

const RUNS = { embedded: 150, nats: 80 } as const;

afterAll(closeNats);

describe.each(ENGINES)('restarts on the %s engine', (engine) => {
  it(
    'closing and reopening anywhere gives the read state of an uninterrupted run',
    async () => {
      const coverage = createCoverage();
      let restarts = 0;
      let behind = 0;
      await fc.assert(
        fc.asyncProperty(history({ restarts: true, settles: true }), fc.record({ write: writeConfig, read: readConfig }), async (commands, config) => {
          const store = await createStore(engine);
          try {
            await withHistoryRunner(store, config, async (runner) => {
              await fc.asyncModelRun(() => ({ model: {}, real: runner }), commands);
              coverage.add(runner.stats);
              restarts += runner.stats.get('step:restart') ?? 0;
              behind += runner.stats.get('restart:projections-behind') ?? 0;
              const interrupted = await runner.settle();
              await runner.checkLog();
              const fresh = await openProjections(store, runner.app.log, { maxBatch: 1000 });
              fresh.start();
              try {
                const uninterrupted = await runner.checkViews(fresh, 'an uninterrupted run over the whole log');
                assertSame('the restarted views against an uninterrupted run', uninterrupted, interrupted);
              } finally {
                await fresh.close();
              }
            });
          } finally {
            await store.dispose();
          }
        }),
        parameters(RUNS[engine], 'restarts.ts', restartRegressions),
      );
      coverage.check(numRuns(RUNS[engine]));
      if (process.env.FC_NUM_RUNS === undefined) {
        // Restarts must happen, and some of them while the projections were still behind the head.
        if (restarts < numRuns(RUNS[engine]) / 2 || behind === 0) throw new Error(`only ${restarts} restarts, ${behind} with projections behind`);
      }
    },
    timeoutFor(RUNS[engine]),
  );
});
