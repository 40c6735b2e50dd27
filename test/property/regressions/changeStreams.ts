/**
 * Counterexamples found by the change-stream property, kept as regression cases: they run first,
 * on both engines, every time.
 */
import type { ReadConfig, WriteConfig } from '../arbitraries.js';
import type { Regression } from '../support/fcSettings.js';

export const changeStreamRegressions: Regression<{ write: WriteConfig; read: ReadConfig }>[] = [
  {
    found:
      'After a rebuild (time batching on: maxDelay 2, own reader per projection), the rebuilt projection ' +
      'stopped following the log: OrderSummary stayed at position 5 while the head was 6, and waitFor(6) timed out ' +
      '(in about one run in five). coalesceBatches, halted with a read pending that had already produced its batch, ' +
      'never returned its source: the old feed member stayed parked at its yield, still "attached" at position 2, ' +
      'and once four more batches filled the feed window the feed waited for it forever. Fixed in coalesceBatches.',
    config: { write: { snapshotEvery: { Account: 1, Customer: 2 }, maxActors: 10_000 }, read: { maxBatch: 1000, maxDelay: 2, shareReads: false } },
    steps: [
      { kind: 'sequence', remote: false, cmds: [{ aggregate: 'Order', id: 'o2', type: 'CreateOrder', payload: { customerId: 'c1' }, cid: true }] },
      {
        kind: 'rebuild',
        projection: 'OrderSummary',
        during: [
          { aggregate: 'Account', id: 'a1', type: 'OpenAccount', payload: { owner: 'Ada' }, cid: true },
          { aggregate: 'Account', id: 'a1', type: 'Withdraw', payload: { amount: 1 }, cid: true },
        ],
      },
      { kind: 'sequence', remote: false, cmds: [{ aggregate: 'Order', id: 'o1', type: 'CreateOrder', payload: { customerId: 'c1' }, cid: false }] },
      {
        kind: 'sequence',
        remote: false,
        cmds: [
          { aggregate: 'Account', id: 'a2', type: 'OpenAccount', payload: { owner: 'Ada' }, cid: true },
          { aggregate: 'Account', id: 'a2', type: 'Deposit', payload: { amount: 29 }, cid: true },
          { aggregate: 'Account', id: 'a2', type: 'Withdraw', payload: { amount: 1 }, cid: true },
        ],
      },
      { kind: 'settle' },
    ],
  },
];
