import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProjectionFailedError, ValidationError } from '../../src/errors.js';
import type { EventLog } from '../../src/eventLog/eventLog.js';
import { createProjections } from '../../src/projection/createProjections.js';
import { defineProjection } from '../../src/projection/defineProjection.js';
import { ENGINES, testLog, type TestLog } from './engines.js';
import { Counter, increment } from './support.js';

// Throws on an Incremented event of `by` 13 while `broken` is set: a poison event that a fix
// (retry) or a skip gets past. Counts what it applied, so a double application shows.
let broken = true;
const Fragile = defineProjection<{ count: number; sum: number }, { Incremented: { by: number } }>({
  name: 'Fragile',
  from: ['Counter'],
  handlers: {
    Incremented: (view, event) => {
      if (broken && event.data.by === 13) throw new Error('unlucky number');
      view.update('total', (t) => ({ count: (t?.count ?? 0) + 1, sum: (t?.sum ?? 0) + event.data.by }));
    },
  },
});

describe.each(ENGINES)('poison events (%s)', (engine) => {
  let dir: TestLog;
  let log: EventLog;
  let views: string;
  beforeEach(async () => {
    broken = true;
    dir = testLog(engine);
    log = await dir.open();
    views = path.join(dir.dir, 'views');
  });
  afterEach(async () => {
    await log.close();
    await dir.cleanup();
  });

  // 10 commits of by=1, one of by=13 (at position 11), 10 more of by=1.
  async function prefill() {
    for (let i = 0; i < 10; i++) await increment(log, 'c1');
    const poison = (await increment(log, 'c1', 13)).position;
    let last = 0;
    for (let i = 0; i < 10; i++) last = (await increment(log, 'c2')).position;
    return { poison, last };
  }

  it('stops only the failing projection, after committing the events before it, with an error naming it', async () => {
    const { poison, last } = await prefill();
    const projections = await createProjections({ log, path: views, projections: [Fragile, Counter] });
    projections.start();
    await projections.get(Counter).waitFor(last);
    const err = await projections.get(Fragile).waitFor(last).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProjectionFailedError);
    expect((err as ProjectionFailedError).message).toBe(
      `projection Fragile failed on Incremented (Counter/c1) at position ${poison}: unlucky number`,
    );
    expect((err as ProjectionFailedError).details).toMatchObject({
      projection: 'Fragile', type: 'Incremented', aggregate: 'Counter', id: 'c1', position: poison, index: 0,
    });
    const status = await projections.get(Fragile).status();
    expect(status).toMatchObject({ name: 'Fragile', state: 'failed', position: poison - 1, headPosition: last, lag: last - poison + 1 });
    expect(status.error).toMatchObject({ code: 'projection_failed', details: { position: poison } });
    // The commits before the poison event (same batch) were applied once.
    expect(await projections.get(Fragile).get('total')).toEqual({ count: 10, sum: 10 });
    expect(await projections.get(Counter).status()).toMatchObject({ state: 'running', position: last });
    // A wait past the failure fails at once with the same error.
    await expect(projections.get(Fragile).waitFor(poison)).rejects.toBe(err);
    await projections.close();
  });

  it('retry resumes at the failing event once it no longer fails, applying everything once', async () => {
    const { last } = await prefill();
    const projections = await createProjections({ log, path: views, projections: [Fragile] });
    projections.start();
    await expect(projections.get(Fragile).waitFor(last)).rejects.toThrow(ProjectionFailedError);
    projections.get(Fragile).retry(); // still broken: fails again at the same place
    await expect(projections.get(Fragile).waitFor(last)).rejects.toThrow(/at position 11/);
    broken = false;
    projections.get(Fragile).retry();
    await projections.get(Fragile).waitFor(last);
    expect(await projections.get(Fragile).get('total')).toEqual({ count: 21, sum: 33 });
    expect(await projections.get(Fragile).status()).toMatchObject({ state: 'running', position: last, skipped: 0 });
    expect((await projections.get(Fragile).status()).error).toBeUndefined();
    await projections.close();
  });

  it('skip records the event, resumes after it, and the skip survives a restart and a rebuild', async () => {
    const { poison, last } = await prefill();
    const projections = await createProjections({ log, path: views, projections: [Fragile] });
    await expect(projections.get(Fragile).skip()).rejects.toThrow(ValidationError);
    projections.start();
    await expect(projections.get(Fragile).waitFor(last)).rejects.toThrow(ProjectionFailedError);
    const skipped = await projections.get(Fragile).skip();
    expect(skipped).toMatchObject({
      projection: 'Fragile', position: poison, index: 0, type: 'Incremented', aggregate: 'Counter', id: 'c1', error: 'unlucky number',
    });
    await projections.get(Fragile).waitFor(last);
    expect(await projections.get(Fragile).get('total')).toEqual({ count: 20, sum: 20 });
    await projections.close();

    const again = await createProjections({ log, path: views, projections: [Fragile] });
    expect(again.get(Fragile).skipped()).toEqual([skipped]);
    again.start();
    await again.get(Fragile).rebuild();
    expect(await again.get(Fragile).get('total')).toEqual({ count: 20, sum: 20 });
    expect(await again.get(Fragile).status()).toMatchObject({ state: 'running', skipped: 1 });
    await again.close();
  });

  it('skips only the failing event of a commit with several', async () => {
    await increment(log, 'c1');
    const { position } = await log.append('Counter', 'c1', [
      { type: 'Incremented', data: { by: 2 } },
      { type: 'Incremented', data: { by: 13 } },
      { type: 'Incremented', data: { by: 4 } },
    ], { commandId: 'multi' });
    const projections = await createProjections({ log, path: views, projections: [Fragile] });
    projections.start();
    await expect(projections.get(Fragile).waitFor(position)).rejects.toThrow(ProjectionFailedError);
    // The failing commit was not applied at all (not even its first event).
    expect(await projections.get(Fragile).get('total')).toEqual({ count: 1, sum: 1 });
    expect(await projections.get(Fragile).skip()).toMatchObject({ position, index: 1, eventId: 'multi/1' });
    await projections.get(Fragile).waitFor(position);
    expect(await projections.get(Fragile).get('total')).toEqual({ count: 3, sum: 7 });
    await projections.close();
  });
});
