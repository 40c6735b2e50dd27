import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProjections, defineProjection, type EventLog } from '../../src/index.js';
import { appHarness, ENGINES, type AppHarness } from './appHarness.js';

type Row = { count: number; sum?: number };
let v2Calls = 0;
const v1 = defineProjection<Row, { Noted: { n: number } }>({
  name: 'Notes',
  from: ['Note'],
  handlers: { Noted: (view, _e, envelope) => view.update(envelope.id, (r) => ({ count: (r?.count ?? 0) + 1 })) },
});
// The same projection with changed handlers (they now also sum), so it declares version 2.
const v2 = defineProjection<Row, { Noted: { n: number } }>({
  name: 'Notes',
  from: ['Note'],
  version: 2,
  handlers: {
    Noted: (view, e, envelope) => {
      v2Calls++;
      view.update(envelope.id, (r) => ({ count: (r?.count ?? 0) + 1, sum: (r?.sum ?? 0) + e.data.n }));
    },
  },
});

describe.each(ENGINES)('versioned projections: a new version is rebuilt blue/green (%s)', (engine) => {
  let h: AppHarness;
  let log: EventLog | undefined;
  afterEach(async () => {
    await log?.close();
    await h.cleanup();
  });

  it('readers keep the old view until the new one has caught up; the version is then recorded', async () => {
    h = appHarness(engine);
    log = await h.openRaw();
    for (let i = 0; i < 300; i++) await log.append('Note', `n-${i % 3}`, [{ type: 'Noted', data: { n: i } }], { commandId: `c-${i}` });
    const views = path.join(h.dataDir, 'views');
    const first = await createProjections({ log, path: views, projections: [v1], maxBatch: 20 });
    first.start();
    await first.upgraded(); // a view never built takes its version at once: nothing to rebuild
    await first.get(v1).waitFor(300);
    expect(await first.get(v1).get('n-0')).toEqual({ count: 100 });
    await first.close();

    const second = await createProjections({ log, path: views, projections: [v2], maxBatch: 20 });
    second.start();
    // Rebuilding takes many reads of the log; meanwhile the old view is what readers get.
    expect(await second.get(v2).get('n-0')).toEqual({ count: 100 });
    await second.upgraded();
    const sum0 = Array.from({ length: 100 }, (_, k) => 3 * k).reduce((a, b) => a + b, 0);
    expect(await second.get(v2).get('n-0')).toEqual({ count: 100, sum: sum0 });
    // Live again after the swap.
    const r = await log.append('Note', 'n-0', [{ type: 'Noted', data: { n: 1 } }], { commandId: 'after' });
    expect(await second.get(v2).get('n-0', { minPosition: r.position })).toEqual({ count: 101, sum: sum0 + 1 });
    await second.close();

    // Opened again at the same version: no rebuild (the handlers only see the one new event).
    const calls = v2Calls;
    await log.append('Note', 'n-1', [{ type: 'Noted', data: { n: 0 } }], { commandId: 'later' });
    const third = await createProjections({ log, path: views, projections: [v2], maxBatch: 20 });
    third.start();
    await third.upgraded();
    await third.get(v2).waitFor(302);
    expect(v2Calls - calls).toBe(1);
    await third.close();
  });
});
