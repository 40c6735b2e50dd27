import { afterEach, describe, expect, it } from 'vitest';
import { appHarness, ENGINES, ok, type AppHarness } from './appHarness.js';
import { LedgerTotals, LedgerV1, LedgerV2 } from './ledger.js';

// The fixture log is written by "v1 code" (LedgerV1) in the test itself, then read by v2 code.
describe.each(ENGINES)('a log written by v1 code, read by v2 code (%s)', (engine) => {
  let h: AppHarness;
  afterEach(() => h.cleanup());

  async function writeV1() {
    h = appHarness(engine);
    const v1 = await h.open([LedgerV1]);
    await ok(v1, { type: 'Open', aggregate: 'Ledger', id: 'l-1', payload: { owner: 'Ada' } });
    for (const amount of [100, 250, 50]) await ok(v1, { type: 'Deposit', aggregate: 'Ledger', id: 'l-1', payload: { amount } });
    await ok(v1, { type: 'Open', aggregate: 'Ledger', id: 'l-2', payload: { owner: 'Grace' } });
    // Four events on l-1: a v1 snapshot was taken at version 2 and 4, in v1's state shape.
    expect(await v1.log.snapshots.load('Ledger', 'l-1')).toMatchObject({ version: 4 });
    await v1.close();
  }

  it('aggregates rehydrate through the upcasters; v1 snapshots are ignored; new events are v2', async () => {
    await writeV1();
    const v2 = await h.open([LedgerV2]);
    // A restored v1 snapshot would give { owner, total } here instead.
    expect(await v2.state(LedgerV2, 'l-1')).toEqual({ value: {}, context: { holder: 'Ada', totals: { EUR: 400 } }, version: 4 });
    const r = await ok(v2, { type: 'Deposit', aggregate: 'Ledger', id: 'l-1', payload: { cents: 7, currency: 'USD' } });
    expect(r.events[0]).toMatchObject({ type: 'Deposited', schemaVersion: 2, data: { amount: { cents: 7, currency: 'USD' } } });
    const stream = await v2.log.readStream('Ledger', 'l-1');
    expect(stream.map((e) => [e.type, e.schemaVersion])).toEqual([
      ['LedgerOpened', 2],
      ['Deposited', 2],
      ['Deposited', 2],
      ['Deposited', 2],
      ['Deposited', 2],
    ]);
    expect(stream[0]!.data).toEqual({ holder: { name: 'Ada' } });
    await v2.close();
    // Reloaded from the v2 snapshot (taken at version 4 or later) and the tail, the state is the same.
    const again = await h.open([LedgerV2]);
    expect((await again.state(LedgerV2, 'l-1'))?.context).toEqual({ holder: 'Ada', totals: { EUR: 400, USD: 7 } });
  });

  it('projections written for v2 rebuild from the v1 log to the expected views', async () => {
    await writeV1();
    const v2 = await h.open([LedgerV2], [LedgerTotals]);
    const head = await v2.log.headPosition();
    await v2.projection(LedgerTotals).waitFor(head);
    const expected = {
      'l-1': { holder: 'Ada', deposits: 3, cents: { EUR: 400 } },
      'l-2': { holder: 'Grace', deposits: 0, cents: {} },
    };
    const rows = async () => Object.fromEntries((await v2.projection(LedgerTotals).entries()).map((e) => [e.key, e.value]));
    expect(await rows()).toEqual(expected);
    await v2.projection(LedgerTotals).rebuild();
    expect(await rows()).toEqual(expected);
  });
});
