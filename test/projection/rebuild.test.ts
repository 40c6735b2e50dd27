import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClosedError } from '../../src/errors.js';
import type { EventLog } from '../../src/eventLog/eventLog.js';
import { createProjections, type Projections } from '../../src/projection/createProjections.js';
import { defineProjection, type ProjectionDefinition } from '../../src/projection/defineProjection.js';
import type { RebuildProgress, ViewChange } from '../../src/projection/projection.js';
import { openViewEnvironment } from '../../src/projection/viewEnvironment.js';
import { ENGINES, testLog, type TestLog } from './engines.js';
import { Counter, increment, type Count, type CounterEvents } from './support.js';

async function prefill(log: EventLog, commits: number, keys: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < commits; i += 200) {
    const results = await Promise.all(Array.from({ length: Math.min(200, commits - i) }, (_, j) => increment(log, `c${(i + j) % keys}`)));
    last = Math.max(last, ...results.map((r) => r.position));
  }
  return last;
}

async function fromScratch(log: EventLog, dir: string, definition: ProjectionDefinition, position: number) {
  const fresh = await createProjections({ log, path: dir, projections: [definition] });
  fresh.start();
  await fresh.get(definition).waitFor(position);
  const entries = await fresh.get(definition).entries();
  await fresh.close();
  return entries;
}

describe.each(ENGINES)('rebuild (%s)', (engine) => {
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

  it('swaps in a replayed view while commits keep flowing; no read sees a partial view', async () => {
    const prefilled = await prefill(log, 3000, 20);
    const projections = await createProjections({ log, path: views, projections: [Counter], maxBatch: 100 });
    projections.start();
    const counter = projections.get(Counter);
    await counter.waitFor(prefilled);

    let writing = true;
    const writer = (async () => {
      let last = 0;
      for (let i = 0; i < 400; i++) last = (await increment(log, `c${i % 20}`)).position;
      writing = false;
      return last;
    })();
    const counts: number[] = [];
    const reader = (async () => {
      while (writing) {
        counts.push((await counter.get('total'))!.count);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const progress: RebuildProgress[] = [];
    const result = await counter.rebuild({ onProgress: (p) => progress.push(p) });
    const last = await writer;
    await reader;

    // Reads during the rebuild: never below what was there before, never going back.
    expect(counts.length).toBeGreaterThan(10);
    expect(counts[0]).toBeGreaterThanOrEqual(3000);
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]!);
    expect(result).toMatchObject({ projection: 'Counter', generation: 2 });
    expect(result.position).toBeGreaterThanOrEqual(prefilled);
    expect(progress.length).toBeGreaterThan(10);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.position).toBeGreaterThan(progress[i - 1]!.position);
    expect(progress.at(-1)!.position).toBe(result.position);

    // It continues live after the swap, and equals a build from scratch.
    const after = (await increment(log, 'c0')).position;
    await counter.waitFor(Math.max(last, after));
    expect((await counter.get('total'))!.count).toBe(3000 + 400 + 1);
    expect(await counter.entries()).toEqual(await fromScratch(log, path.join(dir.dir, 'fresh'), Counter, after));
    expect(await counter.status()).toMatchObject({ state: 'running', position: after, lag: 0 });
    expect((await counter.status()).rebuild).toBeUndefined();
    await projections.close();

    // The swap is durable, and the old generation is gone.
    const env = openViewEnvironment(views);
    expect([...env.root.getKeys()].filter((k) => String(k).startsWith('view/Counter/'))).toEqual(['view/Counter/2']);
    await env.close();
  });

  it('applies changed handlers, and emits the differences at the swap position', async () => {
    const last = await prefill(log, 50, 3);
    const v1 = await createProjections({ log, path: views, projections: [Counter] });
    v1.start();
    await v1.get(Counter).waitFor(last);
    await v1.close();

    // Version 2 of Counter: sums count double, and it keeps no total.
    const CounterV2 = defineProjection<Count, CounterEvents>({
      name: 'Counter',
      from: ['Counter'],
      handlers: {
        Incremented: (view, event, envelope) =>
          view.update(envelope.id, (c) => ({ count: (c?.count ?? 0) + 1, sum: (c?.sum ?? 0) + 2 * event.data.by, last: envelope.position })),
      },
    });
    const v2 = await createProjections({ log, path: views, projections: [CounterV2] });
    v2.start();
    const changes: ViewChange<Count>[] = [];
    v2.get(CounterV2).changes$.subscribe((c) => changes.push(c));
    expect((await v2.get(CounterV2).get('total'))?.count).toBe(50);
    const { position } = await v2.get(CounterV2).rebuild();
    expect(position).toBe(last);
    expect(await v2.get(CounterV2).get('total')).toBeUndefined();
    const c0 = (await v2.get(CounterV2).get('c0'))!;
    expect(c0.sum).toBe(2 * c0.count);
    expect(changes.map((c) => [c.key, c.value === null ? null : c.value.sum, c.position])).toEqual([
      ['c0', 2 * 17, last],
      ['c1', 2 * 17, last],
      ['c2', 2 * 16, last],
      ['total', null, last],
    ]);
    await v2.close();
  });

  it('a rebuild cut short by close leaves the live view as it was', async () => {
    const last = await prefill(log, 2000, 5);
    const projections: Projections = await createProjections({ log, path: views, projections: [Counter], maxBatch: 10 });
    projections.start();
    await projections.get(Counter).waitFor(last);
    const rebuilding = projections.get(Counter).rebuild();
    expect(projections.get(Counter).rebuild()).toBe(rebuilding);
    // Close part-way through the replay.
    while (((await projections.get(Counter).status()).rebuild?.position ?? 0) === 0) await new Promise((r) => setImmediate(r));
    await projections.close();
    await expect(rebuilding).rejects.toThrow(ClosedError);

    const env = openViewEnvironment(views);
    expect([...env.root.getKeys()].filter((k) => String(k).startsWith('view/Counter/'))).toEqual(['view/Counter/1']);
    await env.close();
    const again = await createProjections({ log, path: views, projections: [Counter] });
    expect((await again.get(Counter).get('total'))?.count).toBe(2000);
    await again.close();
  });
});
