import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { Account, Customer, Order } from '../../../actors/index.js';
import { machineAdapter } from '../../../src/aggregate/machineAdapter.js';
import type { AnyAggregateDefinition } from '../../../src/index.js';

// Payloads that reach every state of the example machines, with refusals among them.
const commandPools: Array<[string, AnyAggregateDefinition, Array<[string, unknown]>]> = [
  [
    'Account',
    Account,
    [
      ['OpenAccount', { owner: 'Ada' }],
      ['Deposit', { amount: 50 }],
      ['Withdraw', { amount: 30 }],
      ['Withdraw', { amount: 500 }],
      ['CloseAccount', {}],
    ],
  ],
  [
    'Order',
    Order,
    [
      ['CreateOrder', { customerId: 'c-1' }],
      ['AddItem', { sku: 'sku-1', quantity: 2, unitPrice: 300 }],
      ['ShipOrder', {}],
      ['CancelOrder', { reason: 'changed my mind' }],
    ],
  ],
  [
    'Customer',
    Customer,
    [
      ['RegisterCustomer', { name: 'Ada', email: 'ada@example.org' }],
      ['ChangeUserEmail', { email: 'grace@example.com' }],
      ['ChangeUserEmail', { email: 'grace@example.com' }],
      ['UpdateUserAddress', { street: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' }],
      ['ChangePhoneNumber', { phone: '+4930123456' }],
    ],
  ],
];

const seen = (s: AnyMachineSnapshot) => ({ value: s.value, context: s.context, status: s.status });
const actionsOf = (actions: readonly { type: string; params?: unknown }[]) => actions.map((a) => ({ type: a.type, params: a.params }));

describe('machine adapter', () => {
  it.each(commandPools)('agrees with xstate.transition() on %s, command by command and event by event', (_name, definition, pool) => {
    const machine = definition.machine;
    const adapter = machineAdapter(machine);
    expect(seen(adapter.initial)).toEqual(seen(initialTransition(machine)[0]));
    let steps = 0;
    fc.assert(
      // Histories start with the command that creates the aggregate, so that they go somewhere.
      fc.property(fc.array(fc.constantFrom(...pool), { maxLength: 25 }).map((rest) => [pool[0]!, ...rest]), (commands) => {
        let snapshot = adapter.initial;
        let version = 0;
        for (const [i, [type, payload]] of commands.entries()) {
          const command = { type, aggregate: definition.name, id: 'x-1', payload, commandId: `c-${i}` };
          const [expected, expectedActions] = transition(machine, snapshot, command as never);
          const actual = adapter.transition(snapshot, command);
          expect(seen(actual)).toEqual(seen(expected));
          expect(actionsOf(adapter.actions)).toEqual(actionsOf(expectedActions));
          const events = adapter.actions
            .filter((a) => a.type === 'xstate.emit')
            .map((a) => (a.params as { event: EventObject & { data?: unknown } }).event)
            .filter((e) => Object.hasOwn(definition.events, e.type));
          for (const [k, e] of events.entries()) {
            version++;
            const envelope = { type: e.type, data: e.data, eventId: `c-${i}/${k}`, aggregate: definition.name, id: 'x-1', version, position: version,
              timestamp: 1000 + version, commandId: `c-${i}`, correlationId: `c-${i}`, causationId: `c-${i}` };
            const [evolved, evolvedActions] = transition(machine, snapshot, envelope as never);
            snapshot = adapter.transition(snapshot, envelope);
            expect(seen(snapshot)).toEqual(seen(evolved));
            expect(actionsOf(adapter.actions)).toEqual(actionsOf(evolvedActions));
            steps++;
          }
          expect(seen(adapter.restore(adapter.persist(snapshot)))).toEqual(seen(snapshot));
        }
      }),
      { numRuns: 60, seed: 10 },
    );
    // The pools must actually drive the machines: most histories append events.
    expect(steps).toBeGreaterThan(100);
  });
});
