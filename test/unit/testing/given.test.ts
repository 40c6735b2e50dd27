import { AssertionError } from 'node:assert';
import { assign, emit, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Account } from '../../../actors/index.js';
import { defineAggregate, type AggregateTypes } from '../../../src/index.js';
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
