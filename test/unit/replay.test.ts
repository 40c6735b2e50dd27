import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Account, Customer, Order } from '../../actors/index.js';
import { createAggregateInstance } from '../../src/aggregate/aggregateInstance.js';
import { createApp, type AnyAggregateDefinition, type Command } from '../../src/index.js';
import { tempDir } from './aggregate/support.js';

const aggregates = [Account, Order, Customer];
const byName = new Map<string, AnyAggregateDefinition>(aggregates.map((a) => [a.name, a]));

const cmd = (aggregate: string, ids: string[], type: string, payload: fc.Arbitrary<unknown>): fc.Arbitrary<Command> =>
  fc.record({ id: fc.constantFrom(...ids), payload }).map(({ id, payload }) => ({ type, aggregate, id, payload }));

const accounts = ['a-1', 'a-2', 'a-3'];
const orders = ['o-1', 'o-2'];
const customers = ['c-1', 'c-2'];
const emails = fc.constantFrom('ada@example.org', 'bob@example.org', 'ADA@example.org');
const phones = fc.constantFrom('+4930123456', '+14155550123');

const command: fc.Arbitrary<Command> = fc.oneof(
  cmd('Account', accounts, 'OpenAccount', fc.record({ owner: fc.constantFrom('Ada', 'Bob') })),
  cmd('Account', accounts, 'Deposit', fc.record({ amount: fc.integer({ min: 1, max: 100 }) })),
  cmd('Account', accounts, 'Withdraw', fc.record({ amount: fc.integer({ min: 1, max: 150 }) })),
  cmd('Account', accounts, 'CloseAccount', fc.constant({})),
  cmd('Order', orders, 'CreateOrder', fc.record({ customerId: fc.constantFrom(...customers) })),
  cmd(
    'Order',
    orders,
    'AddItem',
    fc.record({ sku: fc.constantFrom('TEA', 'CUP'), name: fc.constantFrom('Tea', 'Cup'), quantity: fc.integer({ min: 1, max: 3 }), unitPrice: fc.integer({ min: 0, max: 500 }) }),
  ),
  cmd('Order', orders, 'ShipOrder', fc.constant({})),
  cmd('Order', orders, 'CancelOrder', fc.option(fc.constantFrom('late', 'lost'), { nil: undefined }).map((reason) => (reason === undefined ? {} : { reason }))),
  cmd('Customer', customers, 'RegisterCustomer', fc.record({ name: fc.constantFrom('Ada', 'Bob'), email: emails })),
  cmd('Customer', customers, 'ChangeUserEmail', fc.record({ email: emails })),
  cmd(
    'Customer',
    customers,
    'UpdateUserAddress',
    fc.record({ street: fc.constantFrom('1 Main St', '2 Side St'), city: fc.constant('Berlin'), postalCode: fc.constant('10115'), country: fc.constantFrom('DE', 'FR') }),
  ),
  cmd('Customer', customers, 'ChangePhoneNumber', fc.record({ phone: phones })),
);

describe('replay', () => {
  it('rebuilds from the log exactly the state the live actors hold', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 10, maxLength: 60 }), async (generated) => {
        // Most commands need their aggregate to exist: create a random share of them first.
        const history: Command[] = [
          ...accounts.filter((_, i) => i < 2).map((id) => ({ type: 'OpenAccount', aggregate: 'Account', id, payload: { owner: id } })),
          { type: 'CreateOrder', aggregate: 'Order', id: 'o-1', payload: { customerId: 'c-1' } },
          { type: 'RegisterCustomer', aggregate: 'Customer', id: 'c-1', payload: { name: 'Ada', email: 'ada@example.org' } },
          ...generated,
        ];
        const dataDir = tempDir();
        const live = await createApp({ engine: 'embedded', dataDir, aggregates, maxActors: 3 });
        const touched = new Set<string>();
        // Several in flight at once, as in production; each aggregate still sees them in order.
        const results = await Promise.all(history.map((c) => live.send(c)));
        for (const [i, r] of results.entries()) {
          expect(['rejected', undefined]).toContain(r.ok ? undefined : r.error.code);
          if (r.ok) {
            accepted++;
            touched.add(`${history[i]!.aggregate}/${history[i]!.id}`);
          }
        }
        const liveStates = new Map<string, unknown>();
        for (const key of touched) {
          const [aggregate, id] = key.split('/') as [string, string];
          liveStates.set(key, await live.state(aggregate, id));
        }
        // Rebuilt twice: by folding the stream by hand, and by a fresh app loading from the log.
        for (const key of touched) {
          const [aggregate, id] = key.split('/') as [string, string];
          const instance = createAggregateInstance(byName.get(aggregate)!, id);
          instance.evolve(await live.log.readStream(aggregate, id));
          expect({ value: instance.snapshot.value, context: instance.snapshot.context, version: instance.version }).toEqual(liveStates.get(key));
        }
        await live.close();
        const rebuilt = await createApp({ engine: 'embedded', dataDir, aggregates });
        for (const key of touched) {
          const [aggregate, id] = key.split('/') as [string, string];
          expect(await rebuilt.state(aggregate, id)).toEqual(liveStates.get(key));
        }
        await rebuilt.close();
      }),
      { numRuns: 25 },
    );
    // The property means little unless many commands were accepted, not only the creations.
    expect(accepted).toBeGreaterThan(150);
  });
});
