import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClosedError, TimeoutError, ValidationError } from '../../src/errors.js';
import type { EventLog } from '../../src/eventLog/eventLog.js';
import { createProjections, type Projections } from '../../src/projection/createProjections.js';
import { ENGINES, testLog, type TestLog } from './engines.js';
import { Counter, increment } from './support.js';

describe.each(ENGINES)('read-your-writes (%s)', (engine) => {
  let dir: TestLog;
  let log: EventLog;
  let projections: Projections;
  beforeEach(async () => {
    dir = testLog(engine);
    log = await dir.open();
    projections = await createProjections({ log, path: path.join(dir.dir, 'views'), projections: [Counter] });
    projections.start();
  });
  afterEach(async () => {
    await projections.close();
    await log.close();
    await dir.cleanup();
  });

  it('get with minPosition always sees the write just appended', async () => {
    const counter = projections.get(Counter);
    for (let i = 1; i <= 150; i++) {
      const { position } = await increment(log, 'c');
      expect((await counter.get('c', { minPosition: position }))?.count).toBe(i);
    }
  });

  it('sees concurrent writes from many writers', async () => {
    const counter = projections.get(Counter);
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const { position } = await increment(log, `w${i % 10}`);
        return (await counter.get('total', { minPosition: position }))!.last >= position;
      }),
    );
    expect(results.every(Boolean)).toBe(true);
  });

  it('waitFor times out with a TimeoutError naming the projection, the wanted and the reached positions', async () => {
    const { position } = await increment(log, 'c');
    await projections.get(Counter).waitFor(position);
    const wanted = position + 10;
    const err = await projections.get(Counter).waitFor(wanted, { timeout: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).message).toBe(`projection Counter did not reach position ${wanted} within 50 ms (it is at position ${position})`);
    expect((err as TimeoutError).details).toMatchObject({ projection: 'Counter', position: wanted, reached: position, timeout: 50 });
    await expect(projections.get(Counter).get('c', { minPosition: wanted, timeout: 30 })).rejects.toThrow(TimeoutError);
  });

  it('refuses a bad position, and rejects pending waits on close', async () => {
    await expect(projections.get(Counter).waitFor(-1)).rejects.toThrow(ValidationError);
    const pending = projections.get(Counter).waitFor(1_000_000, { timeout: 10_000 });
    await projections.close();
    await expect(pending).rejects.toThrow(ClosedError);
    await expect(projections.get(Counter).get('c')).rejects.toThrow(ClosedError);
  });
});
