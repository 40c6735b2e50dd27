/**
 * Property 6: folding the emitted changes in order reproduces the view. Each projection's
 * `changes$` is subscribed before it starts and folded into a copy (a change sets its key, `null`
 * deletes it); the copy must equal the view at every settle step and at the end, through
 * rebuilds (whose swap emits the differences) and through projection restarts, after which the
 * copy is resumed with `changesFrom` (from the next position, or from 1, which replays the view
 * at its checkpoint first). Change positions never go backwards. At the end, a fresh
 * `changesFrom(1)` subscriber's replay, and a per-key one, reproduce the view too.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import type { ViewChange } from '../../src/index.js';
import { history, readConfig, writeConfig } from './arbitraries.js';
import { PROJECTIONS } from './model/readModels.js';
import { changeStreamRegressions } from './regressions/changeStreams.js';
import { assertSame } from './support/compare.js';
import { createCoverage } from './support/coverage.js';
import { closeNats, createStore, ENGINES } from './support/engines.js';
import { numRuns, parameters, timeoutFor } from './support/fcSettings.js';
import { withHistoryRunner } from './support/historyRunner.js';

const RUNS = { embedded: 150, nats: 80 } as const;

afterAll(closeNats);

// The replay of changesFrom(from) is emitted synchronously on subscription.
function replayOf(observe: (next: (c: ViewChange) => void) => { unsubscribe(): void }): ViewChange[] {
  const changes: ViewChange[] = [];
  observe((c) => changes.push(c)).unsubscribe();
  return changes;
}

describe.each(ENGINES)('change streams on the %s engine', (engine) => {
  it(
    'folding the emitted changes in order reproduces the view',
    async () => {
      const coverage = createCoverage();
      await fc.assert(
        fc.asyncProperty(history({ settles: true, rebuilds: true, resumes: true }), fc.record({ write: writeConfig, read: readConfig }), async (commands, config) => {
          const store = await createStore(engine);
          try {
            await withHistoryRunner(store, { ...config, foldChanges: true }, async (runner) => {
              await fc.asyncModelRun(() => ({ model: {}, real: runner }), commands);
              coverage.add(runner.stats);
              const views = (await runner.settle())!;
              for (const name of PROJECTIONS) {
                const projection = runner.projections!.get(name);
                const { position } = await projection.status();
                const replay = replayOf((next) => projection.changesFrom(1).subscribe(next));
                // All at the durable checkpoint, which trails the processed position by commits that changed nothing.
                const at = new Set(replay.map((c) => c.position));
                if (at.size > 1 || [...at].some((p) => p > position)) {
                  throw new Error(`${name}: changesFrom(1) replayed at positions ${[...at].join(', ')}; processed up to ${position}`);
                }
                assertSame(`${name}: the replay of changesFrom(1)`, views[name], Object.fromEntries(replay.map((c) => [c.key, c.value])));
                for (const key of Object.keys(views[name]!).slice(0, 3)) {
                  const one = replayOf((next) => projection.changesFrom(1, { key }).subscribe(next));
                  assertSame(`${name}: the replay of changesFrom(1, { key: ${JSON.stringify(key)} })`, [views[name]![key]], one.map((c) => c.value));
                }
              }
            });
          } finally {
            await store.dispose();
          }
        }),
        parameters(RUNS[engine], 'changeStreams.ts', changeStreamRegressions),
      );
      coverage.check(numRuns(RUNS[engine]));
    },
    timeoutFor(RUNS[engine]),
  );
});
