/**
 * Counterexamples found by the read-state property (live = rebuilt = model), kept as regression
 * cases: they run first, on both engines, every time. Paste new ones from a failure report.
 */
import type { ReadConfig, WriteConfig } from '../arbitraries.js';
import type { Regression } from '../support/fcSettings.js';

export type ReadStateConfig = { write: WriteConfig; read: ReadConfig };

const config: ReadStateConfig = { write: { snapshotEvery: {}, maxActors: 10_000 }, read: { maxBatch: 1000, maxDelay: 0, shareReads: true } };

export const readStateRegressions: Regression<ReadStateConfig>[] = [
  {
    found:
      'OrderSummary keys orders by their bare id and customers by `customer:<id>`: an order whose id is ' +
      '`customer:c1` (a valid id) shares its row with customer c1. Registering c1 overwrites the order, and ' +
      "the order's next event stops the projection (poison: no order customer:c1 in the view). Fixed: customer " +
      'rows are now under `customer.<id>`, and no aggregate id contains a dot.',
    config,
    steps: [
      { kind: 'send', remote: false, cmd: { aggregate: 'Order', id: 'customer:c1', type: 'CreateOrder', payload: { customerId: 'c1' }, cid: true } },
      { kind: 'send', remote: false, cmd: { aggregate: 'Customer', id: 'c1', type: 'RegisterCustomer', payload: { name: 'Ada', email: 'ada@example.org' }, cid: true } },
      { kind: 'send', remote: false, cmd: { aggregate: 'Order', id: 'customer:c1', type: 'AddItem', payload: { sku: 'TEA', name: 'Tea', quantity: 1, unitPrice: 100 }, cid: true } },
    ],
  },
];
