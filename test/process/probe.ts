import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate, defineProcess, sendCommand, type CommandAnswerEvent, type EventEnvelope, type ProcessCommand } from '../../src/index.js';

const poke = z.object({ send: z.any().optional(), boom: z.boolean().optional(), wait: z.number().optional(), then: z.any().optional(), cancel: z.boolean().optional() });

/**
 * A test aggregate whose events tell the Probe process what to do: send a command, throw, or set
 * a timer. One aggregate per test instance.
 */
export const ProbeTarget = defineAggregate({
  name: 'ProbeTarget',
  machine: setup({ types: {} as { context: { n: number }; events: { type: 'Poke'; payload: { order?: unknown } } | { type: 'Poked'; data: unknown } } }).createMachine({
    id: 'ProbeTarget',
    context: { n: 0 },
    on: {
      Poke: { actions: emit(({ event }) => ({ type: 'Poked', data: event.payload })) },
      Poked: { actions: assign({ n: ({ context }) => context.n + 1 }) },
    },
  }),
  commands: { Poke: poke },
  events: { Poked: poke },
});

type Poked = EventEnvelope & { type: 'Poked'; data: { send?: ProcessCommand; boom?: boolean; wait?: number; then?: ProcessCommand; cancel?: boolean } };
type Context = { answers: string[]; fired: number; waitMs: number; then: ProcessCommand | null };

const machine = setup({
  types: {} as { context: Context; events: Poked | CommandAnswerEvent | { type: 'xstate.after.wait.Probe.waiting'; timestamp: number } },
  delays: { wait: ({ context }) => context.waitMs },
}).createMachine({
  id: 'Probe',
  context: { answers: [], fired: 0, waitMs: 0, then: null },
  initial: 'idle',
  states: {
    idle: {
      on: {
        Poked: [
          { guard: ({ event }) => event.data.boom === true, actions: assign(() => { throw new Error('boom on purpose'); }) },
          { guard: ({ event }) => event.data.wait !== undefined, target: 'waiting', actions: assign({ waitMs: ({ event }) => event.data.wait!, then: ({ event }) => event.data.then ?? null }) },
          { guard: ({ event }) => event.data.send !== undefined, actions: sendCommand(({ event }) => event.data.send!) },
        ],
      },
    },
    waiting: {
      after: {
        wait: [
          { guard: ({ context }) => context.then !== null, target: 'idle', actions: [assign({ fired: ({ context }) => context.fired + 1 }), sendCommand(({ context }) => context.then!)] },
          { target: 'idle', actions: assign({ fired: ({ context }) => context.fired + 1 }) },
        ],
      },
      on: { Poked: { guard: ({ event }) => event.data.cancel === true, target: 'idle' } },
    },
  },
  on: {
    CommandSucceeded: { actions: assign({ answers: ({ context, event }) => [...context.answers, `ok ${event.command.type}`] }) },
    CommandRejected: { actions: assign({ answers: ({ context, event }) => [...context.answers, `rejected ${event.reason}`] }) },
    CommandFailed: { actions: assign({ answers: ({ context, event }) => [...context.answers, `failed ${event.code}`] }) },
  },
});

/** Correlates by the ProbeTarget id. */
export const Probe = defineProcess({ name: 'Probe', machine, from: ['ProbeTarget'], correlate: (e) => e.id });
