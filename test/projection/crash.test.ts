import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProjections } from '../../src/projection/createProjections.js';
import { ENGINES, testLog, type TestLog } from './engines.js';
import { Counter, type LogSpec } from './support.js';

const worker = fileURLToPath(new URL('./crashWorker.ts', import.meta.url));

type Run = { from: number; done: boolean; killed: boolean };

// Starts the projector in a child process; kills it with SIGKILL `killAfterMs` after it started
// projecting (or lets it finish when undefined).
function runWorker(dataDir: string, spec: LogSpec, maxBatch: number, killAfterMs?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, dataDir, String(maxBatch), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = { from: -1, done: false, killed: false };
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /ready (\d+)/.exec(out);
      if (ready && run.from < 0) {
        run.from = Number(ready[1]);
        if (killAfterMs !== undefined) {
          setTimeout(() => {
            run.killed = child.kill('SIGKILL');
          }, killAfterMs);
        }
      }
      if (/done \d+/.test(out)) run.done = true;
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve(run);
      else reject(new Error(`worker exited with ${code}: ${err}`));
    });
  });
}

describe.each(ENGINES)('crash mid-batch (%s)', (engine) => {
  let dir: TestLog;
  beforeEach(() => {
    dir = testLog(engine);
  });
  afterEach(() => dir.cleanup());

  it('a projector killed with SIGKILL at random points applies every event exactly once', { timeout: 120_000 }, async () => {
    // A seeded generator: commits of 1 to 3 events, amounts 1 to 5.
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const log = await dir.open();
    const expected = new Map<string, { count: number; sum: number }>();
    let events = 0;
    let sum = 0;
    for (let i = 0; i < 6000; i += 250) {
      await Promise.all(
        Array.from({ length: 250 }, (_, j) => {
          const id = `c${random(25)}`;
          const batch = Array.from({ length: 1 + random(3) }, () => ({ type: 'Incremented', data: { by: 1 + random(5) } }));
          const e = expected.get(id) ?? { count: 0, sum: 0 };
          for (const ev of batch) {
            e.count++;
            e.sum += ev.data.by;
            events++;
            sum += ev.data.by;
          }
          expected.set(id, e);
          return log.append('Counter', id, batch, { commandId: `crash-${i + j}` });
        }),
      );
    }
    const head = await log.headPosition();
    await log.close();

    const runs: Run[] = [];
    for (let k = 0; k < 8; k++) runs.push(await runWorker(dir.dir, dir.spec, 3 + random(20), random(120)));
    const final = await runWorker(dir.dir, dir.spec, 50);
    expect(final.done).toBe(true);
    // Most kills landed while it was working, each resuming further on.
    const midWay = runs.filter((r) => r.killed && !r.done && r.from < head);
    expect(midWay.length).toBeGreaterThanOrEqual(4);
    expect(new Set(runs.map((r) => r.from)).size).toBeGreaterThan(2);

    const reopened = await dir.open();
    const projections = await createProjections({ log: reopened, path: path.join(dir.dir, 'views'), projections: [Counter] });
    const counter = projections.get(Counter);
    expect(await counter.status()).toMatchObject({ position: head, lag: 0 });
    expect(await counter.get('total')).toMatchObject({ count: events, sum });
    for (const [id, e] of expected) expect(await counter.get(id)).toMatchObject(e);
    // And the view equals a rebuild from scratch.
    const before = await counter.entries();
    projections.start();
    await counter.rebuild();
    expect(await counter.entries()).toEqual(before);
    await projections.close();
    await reopened.close();
  });
});
