/**
 * Property 3: the projections' outcome does not depend on batch size, batch timing or how the log
 * is delivered. A history is written by a real app; then its commits are fed to fresh projection
 * runners several ways: straight from the engine's log (all at once, a catch-up), and through a
 * staged log that releases them in chunks (one by one, all at once, random sizes), with batches
 * that stop at chunk boundaries or take everything released, projections started before or after
 * the first chunks, paced (waiting for each chunk to be applied) or not, and with every delivery
 * held by a fast-check scheduler that picks which waiting reader goes next. Every variant must
 * end in the model's read state.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import type { Commit, Projections } from '../../src/index.js';
import { history, readConfig, writeConfig, type ReadConfig } from './arbitraries.js';
import { PROJECTIONS } from './model/readModels.js';
import { batchingRegressions } from './regressions/batching.js';
import { createChunkedLog } from './support/chunkedLog.js';
import { createCoverage } from './support/coverage.js';
import { closeNats, createStore, ENGINES, openProjections } from './support/engines.js';
import { numRuns, parameters, timeoutFor } from './support/fcSettings.js';
import { withHistoryRunner } from './support/historyRunner.js';

/** One way of feeding the history's commits to a fresh set of projections. */
export type Delivery = {
  read: ReadConfig;
  /** 'log': the engine's own log, after the fact; 'chunks': the staged log. */
  source: 'log' | 'chunks';
  /** Chunk sizes, cycled ([1]: one by one; [1000]: all at once). */
  chunks: number[];
  boundaries: boolean;
  /** Chunks released before the projections start (a catch-up, then live). */
  startAfter: number;
  /** 'wait': each chunk is applied before the next is released; 'free': released back to back; 'scheduled': deliveries go through the scheduler. */
  pace: 'wait' | 'free' | 'scheduled';
};

const delivery: fc.Arbitrary<Delivery> = fc.record({
  read: readConfig,
  source: fc.constantFrom('log' as const, 'chunks' as const, 'chunks' as const),
  chunks: fc.oneof(fc.constant<number[]>([1]), fc.constant<number[]>([1000]), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })),
  boundaries: fc.boolean(),
  startAfter: fc.nat({ max: 3 }),
  pace: fc.constantFrom('wait' as const, 'free' as const, 'scheduled' as const),
});

const RUNS = { embedded: 150, nats: 80 } as const;

afterAll(closeNats);

async function allAt(projections: Projections, position: number, s?: fc.Scheduler): Promise<void> {
  let done = false;
  const reached = Promise.all(PROJECTIONS.map((p) => projections.get(p).waitFor(position, { timeout: 15_000 }))).finally(() => {
    done = true;
  });
  // The scheduler holds deliveries until asked: release them one at a time, in its order, while
  // the projections do their real I/O in between.
  while (s && !done) {
    if (s.count() > 0) await s.waitOne();
    else await sleep(1);
  }
  await reached;
}

describe.each(ENGINES)('batching and delivery on the %s engine', (engine) => {
  it(
    'the read state does not depend on batch size, timing or delivery',
    async () => {
      const coverage = createCoverage();
      await fc.assert(
        fc.asyncProperty(
          history(),
          fc.record({ write: writeConfig, deliveries: fc.array(delivery, { minLength: 1, maxLength: 3 }) }),
          fc.scheduler(),
          async (commands, config, s) => {
            const store = await createStore(engine);
            try {
              await withHistoryRunner(store, { write: config.write }, async (runner) => {
                await fc.asyncModelRun(() => ({ model: {}, real: runner }), commands);
                coverage.add(runner.stats);
                const commits: Commit[] = [];
                for await (const batch of runner.app.log.readBatches({ live: false })) commits.push(...batch);
                for (const [n, d] of config.deliveries.entries()) {
                  const what = `delivery #${n} ${JSON.stringify(d)}`;
                  runner.trace.push(what);
                  if (d.source === 'log') {
                    const projections = await openProjections(store, runner.app.log, d.read);
                    projections.start();
                    try {
                      await runner.checkViews(projections, what);
                    } finally {
                      await projections.close();
                    }
                    continue;
                  }
                  const scheduler = d.pace === 'scheduled' ? s : undefined;
                  const staged = createChunkedLog(runner.app.log, commits, { boundaries: d.boundaries, scheduler });
                  const projections = await openProjections(store, staged.log, d.read);
                  try {
                    let chunk = 0;
                    const releaseNext = () => staged.release(staged.released + d.chunks[chunk++ % d.chunks.length]!);
                    for (let i = 0; i < d.startAfter; i++) releaseNext();
                    projections.start();
                    while (staged.released < commits.length) {
                      releaseNext();
                      if (d.pace === 'wait') await allAt(projections, staged.releasedPosition);
                      else if (d.pace === 'scheduled' && s.count() > 0) await s.waitOne();
                    }
                    await allAt(projections, staged.releasedPosition, scheduler);
                    await runner.checkViews(projections, what);
                  } finally {
                    await projections.close();
                  }
                }
              });
            } finally {
              await store.dispose();
            }
          },
        ),
        // A regression case replays with a scheduler sampled from a fixed seed.
        parameters(RUNS[engine], 'batching.ts', batchingRegressions, () => fc.sample(fc.scheduler(), { numRuns: 1, seed: 1 }) as [fc.Scheduler]),
      );
      coverage.check(numRuns(RUNS[engine]));
    },
    timeoutFor(RUNS[engine]),
  );
});
