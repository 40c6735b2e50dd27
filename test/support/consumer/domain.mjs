// A user's domain in plain JavaScript: one aggregate and one projection, from the packed package.
import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate, defineProjection, reject } from 'tributary';

const commands = { Add: z.object({ amount: z.number().int().positive() }), Reset: z.object({}) };
const events = { Added: z.object({ amount: z.number() }), WasReset: z.object({}) };

const machine = setup({}).createMachine({
  id: 'Counter',
  context: { total: 0 },
  on: {
    Add: [
      { guard: ({ context, event }) => context.total + event.payload.amount <= 100, actions: emit(({ event }) => ({ type: 'Added', data: event.payload })) },
      { actions: reject('TooMuch', ({ context }) => `the total ${context.total} would pass 100`) },
    ],
    Reset: { actions: emit({ type: 'WasReset', data: {} }) },
    Added: { actions: assign({ total: ({ context, event }) => context.total + event.data.amount }) },
    WasReset: { actions: assign({ total: 0 }) },
  },
});

export const Counter = defineAggregate({ name: 'Counter', machine, commands, events });

export const Totals = defineProjection({
  name: 'Totals',
  from: ['Counter'],
  handlers: {
    Added: (view, event, envelope) => view.put(envelope.id, (view.get(envelope.id) ?? 0) + event.data.amount),
    WasReset: (view, _event, envelope) => view.put(envelope.id, 0),
  },
});
