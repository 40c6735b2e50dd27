import { assign, emit, enqueueActions, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate, reject, type AggregateTypes } from '../../../src/index.js';

const commands = {
  Start: z.object({}),
  Add: z.object({ n: z.number().int() }),
  Nothing: z.object({}),
  Twice: z.object({}),
  Refuse: z.object({ why: z.string() }),
  Sneak: z.object({}),
  Jump: z.object({}),
  Stray: z.object({}),
  Garble: z.object({}),
  Explode: z.object({}),
  Effect: z.object({}),
  Suspicious: z.object({}),
  Poison: z.object({}),
};
const events = {
  Started: z.object({}),
  Added: z.object({ n: z.number().int() }),
  Poisoned: z.object({}),
};

/**
 * A test aggregate whose commands exercise every rule of the host, including the broken ones.
 * Nested states make the state name `running.idle`.
 */
/** Counts runs of the Effect command's custom action. */
export const sideEffects = { count: 0 };

const machine = setup({ types: {} as AggregateTypes<typeof commands, typeof events, { total: number }> }).createMachine({
  id: 'Lab',
  context: { total: 0 },
  initial: 'new',
  states: {
    new: {
      on: {
        Start: { actions: emit({ type: 'Started', data: {} }) },
        Started: { target: 'running' },
      },
    },
    running: {
      initial: 'idle',
      states: { idle: {}, elsewhere: {} },
      on: {
        Add: { actions: emit(({ event }) => ({ type: 'Added', data: { n: event.payload.n } })) },
        // Emits only when asked to, so here it is an accepted no-op (an empty `{}` would be a forbidden transition).
        Nothing: {
          actions: enqueueActions(({ enqueue, context }) => {
            if (context.total < 0) enqueue.emit({ type: 'Added', data: { n: 0 } });
          }),
        },
        Twice: {
          actions: [emit({ type: 'Added', data: { n: 1 } }), emit({ type: 'Added', data: { n: 2 } })],
        },
        Refuse: { actions: reject('Refused', ({ context, event }) => `no (${event.payload.why}, total ${context.total})`) },
        Sneak: { actions: assign({ total: 999 }) },
        Jump: { target: '.elsewhere' },
        Stray: { actions: emit({ type: 'NotAnEvent', data: {} } as never) },
        Garble: { actions: emit({ type: 'Added', data: { n: 'x' } } as never) },
        Explode: {
          actions: emit(() => {
            throw new Error('boom');
          }),
        },
        // Custom actions are side effects: the host never runs them, in decide or in replay.
        Effect: {
          actions: [
            () => {
              sideEffects.count++;
            },
            emit({ type: 'Added', data: { n: 0 } }),
          ],
        },
        Suspicious: {
          guard: () => {
            throw new Error('guard boom');
          },
          actions: emit({ type: 'Added', data: { n: 0 } }),
        },
        Poison: { actions: emit({ type: 'Poisoned', data: {} }) },
        Added: { actions: assign({ total: ({ context, event }) => context.total + event.data.n }) },
        Poisoned: {
          actions: assign(() => {
            throw new Error('poisoned');
          }),
        },
      },
    },
  },
});

export const Lab = defineAggregate({ name: 'Lab', machine, commands, events });
