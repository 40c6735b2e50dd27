import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventLog } from '../../src/eventLog/eventLog.js';
import { createProjections } from '../../src/projection/createProjections.js';
import { defineProjection } from '../../src/projection/defineProjection.js';
import { ENGINES, testLog, type TestLog } from './engines.js';
import { Counter, increment } from './support.js';

describe.each(ENGINES)('projection checkpoints (%s)', (engine) => {
  let dir: TestLog;
  let log: EventLog;
  let views: string;
  beforeEach(async () => {
    dir = testLog(engine);
    log = await dir.open();
    views = path.join(dir.dir, 'views');
  });
  afterEach(async () => {
    await log.close();
    await dir.cleanup();
  });

  it('applies every event exactly once across closes in the middle of catching up', async () => {
    let last = 0;
    for (let i = 0; i < 600; i++) last = (await increment(log, `c${i % 7}`, 1 + (i % 3))).position;
    const expectedSum = Array.from({ length: 600 }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0);
    // Small batches, closed at once and at different moments: each run resumes from its checkpoint.
    const stoppedAt: number[] = [];
    for (const waitMs of [0, 1, 3, 8, 20]) {
      const projections = await createProjections({ log, path: views, projections: [Counter], maxBatch: 7 });
      projections.start();
      await new Promise((r) => setTimeout(r, waitMs));
      await projections.close();
      stoppedAt.push((await projections.get(Counter).status()).position);
    }
    // And one closed as soon as it has applied something: on a loaded machine the fixed waits
    // above can all end before the first batch lands.
    {
      const projections = await createProjections({ log, path: views, projections: [Counter], maxBatch: 7 });
      projections.start();
      const from = stoppedAt.at(-1)!;
      while (from < last && (await projections.get(Counter).status()).position <= from) await new Promise((r) => setTimeout(r, 1));
      await projections.close();
      stoppedAt.push((await projections.get(Counter).status()).position);
    }
    // The runs really stopped part-way.
    expect(stoppedAt.some((p) => p > 0 && p < last)).toBe(true);
    const projections = await createProjections({ log, path: views, projections: [Counter], maxBatch: 7 });
    projections.start();
    const counter = projections.get(Counter);
    expect(await counter.get('total', { minPosition: last })).toEqual({ count: 600, sum: expectedSum, last });
    for (let c = 0; c < 7; c++) {
      expect((await counter.get(`c${c}`))?.count).toBe(Array.from({ length: 600 }, (_, i) => i).filter((i) => i % 7 === c).length);
    }
    await projections.close();
  });

  it('moves its position over commits it does not consume, and keeps it across a restart', async () => {
    const projections = await createProjections({ log, path: views, projections: [Counter] });
    projections.start();
    await increment(log, 'c1');
    let other = 0;
    for (let i = 0; i < 5; i++) {
      other = (await log.append('Elsewhere', `x${i}`, [{ type: 'Incremented', data: { by: 1 } }], { commandId: `other-${i}` })).position;
    }
    await projections.get(Counter).waitFor(other, { timeout: 2000 });
    expect(await projections.get(Counter).status()).toMatchObject({ name: 'Counter', position: other, headPosition: other, lag: 0, state: 'running' });
    // Only Counter events count, although the other aggregate uses the same event type.
    expect((await projections.get(Counter).get('total'))?.count).toBe(1);
    await projections.close();
    const again = await createProjections({ log, path: views, projections: [Counter] });
    expect(await again.get(Counter).status()).toMatchObject({ position: other, state: 'stopped' });
    await again.close();
  });

  it('keeps separate checkpoints for projections sharing one environment', async () => {
    const Sum = defineProjection<number, { Incremented: { by: number } }>({
      name: 'Sum',
      from: ['Counter'],
      handlers: { Incremented: (view, event) => view.update('sum', (s) => (s ?? 0) + event.data.by) },
    });
    for (let i = 0; i < 50; i++) await increment(log, 'c', 2);
    const first = await createProjections({ log, path: views, projections: [Counter] });
    first.start();
    await first.get(Counter).waitFor(50);
    await first.close();
    // Sum is new: it starts from the beginning while Counter resumes at 50.
    for (let i = 0; i < 10; i++) await increment(log, 'c', 2);
    const both = await createProjections({ log, path: views, projections: [Counter, Sum] });
    both.start();
    await Promise.all([both.get(Counter).waitFor(60), both.get(Sum).waitFor(60)]);
    expect(await both.get(Sum).get('sum')).toBe(120);
    expect((await both.get(Counter).get('total'))?.count).toBe(60);
    expect((await both.statuses()).map((s) => [s.name, s.position])).toEqual([['Counter', 60], ['Sum', 60]]);
    await both.close();
  });
});
