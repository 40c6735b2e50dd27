import { AssertionError } from 'node:assert';
import { assign, emit, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Account, Customer } from '../../../actors/index.js';
import { defineAggregate, type AggregateTypes, type EventVersioning } from '../../../src/index.js';
import { given } from '../../../src/testing/index.js';

const opened = [{ type: 'AccountOpened', data: { owner: 'Ada' } }] as const;

describe('given/when/then', () => {
  it('fails when the events differ', async () => {
    await expect(given(Account, [...opened]).when('Deposit', { amount: 5 }).then([{ type: 'Deposited', data: { amount: 6 } }])).rejects.toThrow(
      AssertionError,
    );
  });

  it('fails when events were expected but the command was rejected, naming the error', async () => {
    await expect(given(Account).when('Deposit', { amount: 5 }).then([{ type: 'Deposited', data: { amount: 5 } }])).rejects.toThrow(
      /rejected: command Deposit is not accepted in state new/,
    );
  });

  it('fails when a rejection was expected but events were emitted', async () => {
    await expect(given(Account, [...opened]).when('Deposit', { amount: 5 }).thenRejects('rejected')).rejects.toThrow(/emitted .*Deposited/);
  });

  it('fails when the rejection reason differs', async () => {
    await expect(given(Account, [...opened]).when('Withdraw', { amount: 5 }).thenRejects('rejected', 'NotAccepted')).rejects.toThrow(
      /expected rejected \(NotAccepted\), got rejected \(InsufficientFunds\)/,
    );
  });

  it('fails when the error code differs', async () => {
    await expect(given(Account, [...opened]).when('Withdraw', { amount: -5 }).thenRejects('rejected')).rejects.toThrow(/got invalid/);
  });

  it('reports an unknown command type as unknown_command', async () => {
    await given(Account).when({ type: 'Teleport', payload: {} } as never).thenRejects('unknown_command');
  });

  it('accepts a command object', async () => {
    await given(Account, [...opened]).when({ type: 'Deposit', payload: { amount: 5 }, commandId: 'c-1' }).then([{ type: 'Deposited', data: { amount: 5 } }]);
  });

  it('validates the history against the event schemas', async () => {
    await expect(
      given(Account, [{ type: 'AccountOpened', data: { owner: 42 } } as never]).when('Deposit', { amount: 5 }).then([]),
    ).rejects.toThrow(/given event 0 \(AccountOpened\) is invalid/);
    await expect(given(Account, [{ type: 'Nope', data: {} } as never]).when('Deposit', { amount: 5 }).then([])).rejects.toThrow(
      /given event 0 has type "Nope"/,
    );
  });

  it('refuses to be awaited without an expectation instead of hanging', async () => {
    const when = given(Account).when('OpenAccount', { owner: 'Ada' });
    await expect((async () => await (when as unknown as Promise<unknown>))()).rejects.toThrow(/not awaitable by itself/);
  });

  it('passes envelope timestamps of the history to event transitions', async () => {
    // The command emits the timestamp the state recorded, so the spec can see it.
    const commands = { Stamp: z.object({}) };
    const events = { Ticked: z.object({}), Stamped: z.object({ at: z.number() }) };
    const machine = setup({ types: {} as AggregateTypes<typeof commands, typeof events, { at: number }> }).createMachine({
      context: { at: 0 },
      on: {
        Ticked: { actions: assign({ at: ({ event }) => event.timestamp }) },
        Stamp: { actions: emit(({ context }) => ({ type: 'Stamped', data: { at: context.at } })) },
      },
    });
    const Clock = defineAggregate({ name: 'Clock', machine, commands, events });
    await given(Clock, [{ type: 'Ticked', data: {}, timestamp: 1234 }]).when('Stamp').then([{ type: 'Stamped', data: { at: 1234 } }]);
  });

  it('runs async schemas', async () => {
    const slow = z.object({ n: z.number() }).refine(async (v) => v.n > 0, 'n must be positive');
    const commands = { Put: slow };
    const events = { Put_: slow };
    const machine = setup({ types: {} as AggregateTypes<typeof commands, typeof events, object> }).createMachine({
      on: { Put: { actions: emit(({ event }) => ({ type: 'Put_', data: { n: event.payload.n } })) } },
    });
    const Async = defineAggregate({ name: 'Async', machine, commands, events });
    await given(Async).when('Put', { n: 1 }).then([{ type: 'Put_', data: { n: 1 } }]);
    await given(Async).when('Put', { n: -1 }).thenRejects('invalid');
  });
});

describe('given with events of older schema versions', () => {
  // A tab whose opening event was renamed and restructured: v1 `Opened { owner }`, v2 `TabOpened { holder: { name } }`.
  const commands = { Close: z.object({}) };
  const events = { TabOpened: z.object({ holder: z.object({ name: z.string() }) }), TabClosed: z.object({ by: z.string() }) };
  const machine = setup({ types: {} as AggregateTypes<typeof commands, typeof events, { holder: string }> }).createMachine({
    context: { holder: '' },
    on: {
      TabOpened: { actions: assign({ holder: ({ event }) => event.data.holder.name }) },
      Close: { actions: emit(({ context }) => ({ type: 'TabClosed', data: { by: context.holder } })) },
    },
  });
  const versions = {
    TabOpened: { version: 2, formerly: ['Opened'], upcasters: { 1: { example: { owner: 'Ada' }, upcast: (d: { owner: string }) => ({ holder: { name: d.owner } }) } } },
  } satisfies Record<string, EventVersioning>;
  const Tab = defineAggregate({ name: 'Tab', machine, commands, events, versions });

  it('upcasts a renamed v1 event of the history, as the runtime does', async () => {
    await given(Tab, [{ type: 'Opened', data: { owner: 'Ada' }, schemaVersion: 1 }]).when('Close').then([{ type: 'TabClosed', data: { by: 'Ada' } }]);
    // The same history written as today's event.
    await given(Tab, [{ type: 'TabOpened', data: { holder: { name: 'Ada' } } }]).when('Close').then([{ type: 'TabClosed', data: { by: 'Ada' } }]);
  });

  it("upcasts the example Customer's v1 flat address into the structured one", async () => {
    const registered = { type: 'CustomerRegistered', data: { name: 'Ada', email: 'ada@example.org' } } as const;
    const v1Address = { type: 'UserAddressUpdated', data: { address: '1 Main St, 10115, Berlin, DE' }, schemaVersion: 1 };
    // The state holds the upcast address, so the same structured address is no change.
    await given(Customer, [registered, v1Address])
      .when('UpdateUserAddress', { street: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' })
      .thenRejects('rejected', 'SameAddress');
  });

  it('names the event when it cannot become a current one', async () => {
    await expect(given(Tab, [{ type: 'TabOpened', data: { holder: { name: 'Ada' } }, schemaVersion: 3 }]).when('Close').then([])).rejects.toThrow(
      /given event 0 \(TabOpened v3\) cannot be read as a current event: .*only up to version 2/,
    );
    await expect(given(Tab, [{ type: 'Opened', data: { owner: 7 }, schemaVersion: 1 }]).when('Close').then([])).rejects.toThrow(
      /given event 0 \(Opened v1\) cannot be read as a current event: .*fails the schema/,
    );
    await expect(given(Account, [{ type: 'AccountOpened', data: { owner: 'Ada' }, schemaVersion: 2 }]).when('Deposit', { amount: 1 }).then([])).rejects.toThrow(
      /given event 0 \(AccountOpened\) is at version 2, but Account knows AccountOpened only at version 1/,
    );
  });
});
