import path from 'node:path';
import type { Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventLog } from '../../src/eventLog/eventLog.js';
import { createProjections, type Projections } from '../../src/projection/createProjections.js';
import { defineProjection } from '../../src/projection/defineProjection.js';
import type { ViewChange } from '../../src/projection/projection.js';
import { ENGINES, testLog, type TestLog } from './engines.js';
import { Counter, increment, type Count } from './support.js';

// Applies changes in order to a map: what a remote copy of the view would hold.
function follow(map: Map<string, unknown>) {
  return (c: ViewChange<unknown>) => (c.value === null ? map.delete(c.key) : map.set(c.key, c.value));
}

async function viewAsMap(projections: Projections): Promise<Map<string, unknown>> {
  return new Map((await projections.get(Counter).entries()).map((e) => [e.key, e.value]));
}

describe.each(ENGINES)('change streams (%s)', (engine) => {
  let dir: TestLog;
  let log: EventLog;
  let projections: Projections;
  const published: ViewChange[] = [];
  beforeEach(async () => {
    dir = testLog(engine);
    log = await dir.open();
    published.length = 0;
    projections = await createProjections({
      log,
      path: path.join(dir.dir, 'views'),
      projections: [Counter],
      maxBatch: 16,
      publish: (changes) => published.push(...changes),
    });
  });
  afterEach(async () => {
    await projections.close();
    await log.close();
    await dir.cleanup();
  });

  it('emits every committed change exactly once, in position order, as the publish sink sees them', async () => {
    const seen: ViewChange<Count>[] = [];
    projections.get(Counter).changes$.subscribe((c) => seen.push(c));
    projections.start();
    const positions = await Promise.all(Array.from({ length: 300 }, (_, i) => increment(log, `c${i % 5}`).then((r) => r.position)));
    // A reset deletes a key: its change carries null.
    const reset = (await log.append('Counter', 'c0', [{ type: 'Reset', data: {} }], { commandId: 'reset-c0' })).position;
    await projections.get(Counter).waitFor(reset);

    // Each increment changes its counter and the total; the reset deletes c0.
    expect(seen.length).toBe(2 * 300 + 1);
    const pairs = seen.map((c) => `${c.position}/${c.key}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.position).toBeGreaterThanOrEqual(seen[i - 1]!.position);
    expect(new Set(seen.map((c) => c.position))).toEqual(new Set([...positions, reset]));
    // Each total change shows the count at its position: nothing merged, nothing lost.
    const totals = seen.filter((c) => c.key === 'total').map((c) => c.value!.count);
    expect(totals).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(seen.at(-1)).toEqual({ projection: 'Counter', key: 'c0', value: null, position: reset });

    const copy = new Map<string, unknown>();
    seen.forEach(follow(copy));
    expect(copy).toEqual(await viewAsMap(projections));
    expect(published).toEqual(seen);
  });

  it('resumes from a position without missing or repeating a change', async () => {
    projections.start();
    const copy = new Map<string, unknown>();
    const received: ViewChange[] = [];
    const apply = follow(copy);
    let subscription: Subscription = projections.get(Counter).changesFrom(1).subscribe((c) => {
      received.push(c);
      apply(c);
    });
    let last = 0;
    for (let i = 0; i < 60; i++) last = (await increment(log, `c${i % 4}`)).position;
    await projections.get(Counter).waitFor(last);
    subscription.unsubscribe();
    const lastSeen = received.at(-1)!.position;
    // Disconnected: more changes happen.
    for (let i = 0; i < 40; i++) last = (await increment(log, `c${i % 6}`)).position;
    await projections.get(Counter).waitFor(last);
    const resumed: ViewChange[] = [];
    subscription = projections.get(Counter).changesFrom(lastSeen + 1).subscribe((c) => {
      resumed.push(c);
      apply(c);
    });
    for (let i = 0; i < 20; i++) last = (await increment(log, `c${i % 6}`)).position;
    await projections.get(Counter).waitFor(last);
    subscription.unsubscribe();
    expect(copy).toEqual(await viewAsMap(projections));
    // The missed stretch is replayed as the current state at the checkpoint, then live changes follow.
    for (let i = 1; i < resumed.length; i++) expect(resumed[i]!.position).toBeGreaterThanOrEqual(resumed[i - 1]!.position);
    expect(resumed[0]!.position).toBeGreaterThan(lastSeen);
  });

  it('follows live changes only, without a replay, when nothing was missed', async () => {
    projections.start();
    const { position } = await increment(log, 'a');
    await projections.get(Counter).waitFor(position);
    const got: ViewChange[] = [];
    const subscription = projections.get(Counter).changesFrom(position + 1, { key: 'a' }).subscribe((c) => got.push(c));
    const next = (await increment(log, 'a')).position;
    await increment(log, 'b');
    await projections.get(Counter).waitFor(next + 1);
    subscription.unsubscribe();
    expect(got).toEqual([{ projection: 'Counter', key: 'a', value: { count: 2, sum: 2, last: next }, position: next }]);
  });

  it('replays one key (null when absent) when resuming from before the checkpoint', async () => {
    projections.start();
    const { position } = await increment(log, 'a');
    await projections.get(Counter).waitFor(position);
    const got: ViewChange[] = [];
    projections.get(Counter).changesFrom(1, { key: 'a' }).subscribe((c) => got.push(c)).unsubscribe();
    projections.get(Counter).changesFrom(1, { key: 'zzz' }).subscribe((c) => got.push(c)).unsubscribe();
    expect(got).toEqual([
      { projection: 'Counter', key: 'a', value: { count: 1, sum: 1, last: position }, position },
      { projection: 'Counter', key: 'zzz', value: null, position },
    ]);
  });

  it('a subscriber arriving while a batch commits gets its net effect, and ends with an exact copy', async () => {
    // No publish sink here: changes are collected only while someone subscribes. The handler
    // subscribes (test-only) while its batch is being applied, i.e. before that batch commits,
    // when the batch's changes were not being collected.
    let tap: (() => void) | undefined;
    const Tapped = defineProjection<number, { Incremented: { by: number } }>({
      name: 'Tapped',
      from: ['Counter'],
      handlers: {
        Incremented: (view, event, envelope) => {
          view.update(envelope.id, (n) => (n ?? 0) + event.data.by);
          if (event.data.by === 99) queueMicrotask(() => tap?.());
        },
      },
    });
    const quiet = await createProjections({ log, path: path.join(dir.dir, 'quiet'), projections: [Tapped] });
    quiet.start();
    const tapped = quiet.get(Tapped);
    for (const round of [1, 2, 3]) {
      const copy = new Map<string, unknown>();
      let subscription: Subscription | undefined;
      tap = () => (subscription = tapped.changesFrom(1).subscribe(follow(copy)));
      let last = 0;
      for (let i = 0; i < 5; i++) last = (await increment(log, `k${i}`, round)).position;
      last = (await increment(log, `t${round}`, 99)).position;
      await tapped.waitFor(last);
      expect(subscription).toBeDefined();
      for (let i = 0; i < 5; i++) last = (await increment(log, `k${i}`, 1)).position;
      await tapped.waitFor(last);
      subscription!.unsubscribe();
      expect(copy).toEqual(new Map((await tapped.entries()).map((e) => [e.key, e.value])));
    }
    await quiet.close();
  });
});
