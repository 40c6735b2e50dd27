/**
 * Property 5: the embedded and the JetStream engine, fed the same history step by step, give every
 * command the same outcome, commit the same sequence of events (positions, aggregates, types,
 * data, versions) and end in the same read state. Concurrent groups here address one instance
 * each (their order is then the mailbox's on any engine); on the NATS engine commands go through
 * the NATS command service or in-process, at random. Each engine is also checked against the
 * model, timestamps included; across engines, the wall clock differs, so timestamp fields and the
 * per-day keys they select are compared as "set or not" and summed over days.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import type { Commit } from '../../src/index.js';
import { history, readConfig, writeConfig } from './arbitraries.js';
import type { StepTarget } from './history.js';
import type { ReadState } from './model/readModels.js';
import { engineRegressions } from './regressions/engines.js';
import { assertSame } from './support/compare.js';
import { createCoverage } from './support/coverage.js';
import { closeNats, createStore, type Store } from './support/engines.js';
import { numRuns, parameters, timeoutFor, withTrace } from './support/fcSettings.js';
import { createHistoryRunner, HISTORY_TIMEOUT_MS, within, type HistoryRunner } from './support/historyRunner.js';

// Each history runs on NATS too, whose histories got slower with the per-version subjects:
// fewer in CI, `npm run test:deep` runs 20 times as many.
const RUNS = 60;

afterAll(closeNats);

const DAY_KEY = /^(day|shipped)\/\d{4}-\d{2}-\d{2}$/;

// A read state with the wall clock taken out: `...At` fields become whether they are set, and
// rows keyed by day are summed into one row per prefix.
function timeless(state: ReadState): ReadState {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => (k.endsWith('At') ? [k, x === null ? null : 'set'] : k === 'day' ? [k, '*'] : [k, strip(x)])));
  };
  const out: ReadState = {};
  for (const [projection, view] of Object.entries(state)) {
    const rows: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(view)) {
      if (!DAY_KEY.test(key)) {
        rows[key] = strip(value);
        continue;
      }
      const merged = key.replace(/\d{4}-\d{2}-\d{2}$/, '*');
      const sum = (rows[merged] as Record<string, unknown> | undefined) ?? {};
      for (const [k, x] of Object.entries(strip(value) as Record<string, unknown>)) sum[k] = typeof x === 'number' ? ((sum[k] as number | undefined) ?? 0) + x : x;
      rows[merged] = sum;
    }
    out[projection] = rows;
  }
  return out;
}

async function committed(runner: HistoryRunner) {
  const commits: Commit[] = [];
  for await (const batch of runner.app.log.readBatches({ live: false })) commits.push(...batch);
  return commits.map((c) => ({
    position: c.position,
    aggregate: c.aggregate,
    id: c.id,
    version: c.version,
    events: c.events.map((e) => ({ type: e.type, data: e.data, version: e.version })),
  }));
}

describe('the two engines', () => {
  it(
    'agree on outcomes, committed events and read state',
    async () => {
      const coverage = createCoverage();
      await fc.assert(
        fc.asyncProperty(history({ crossAggregate: false, restarts: true, settles: true }), fc.record({ write: writeConfig, read: readConfig }), async (commands, config) => {
          const stores: Store[] = [];
          const runners: HistoryRunner[] = [];
          try {
            for (const engine of ['embedded', 'nats'] as const) {
              const store = await createStore(engine);
              stores.push(store);
              runners.push(await createHistoryRunner(store, { ...config, label: engine }));
            }
            const [embedded, nats] = runners as [HistoryRunner, HistoryRunner];
            const both: StepTarget = {
              async run(step) {
                await embedded.run(step);
                await nats.run(step);
              },
            };
            const check = async () => {
              await fc.asyncModelRun(() => ({ model: {}, real: both }), commands);
              coverage.add(embedded.stats);
              const views = [await embedded.settle(), await nats.settle()] as [ReadState, ReadState];
              await embedded.checkLog();
              await nats.checkLog();
              assertSame('the outcomes on nats (vs embedded)', embedded.outcomes, nats.outcomes);
              assertSame('the committed events on nats (vs embedded)', await committed(embedded), await committed(nats));
              assertSame('the read state on nats, timestamps aside (vs embedded)', timeless(views[0]), timeless(views[1]));
            };
            await within(2 * HISTORY_TIMEOUT_MS, check(), 'the history');
          } catch (err) {
            throw withTrace(err, runners.flatMap((r) => r.trace));
          } finally {
            for (const r of runners) await within(HISTORY_TIMEOUT_MS, r.close(), 'closing').catch(() => undefined);
            for (const s of stores) await s.dispose();
          }
        }),
        parameters(RUNS, 'engines.ts', engineRegressions),
      );
      coverage.check(numRuns(RUNS));
    },
    timeoutFor(RUNS),
  );
});
