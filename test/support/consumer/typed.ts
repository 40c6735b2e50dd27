// A typed aggregate, projection and given test against the shipped .d.ts. The @ts-expect-error
// lines must each be an error, so types that collapsed to `any` would fail the check.
import { describe, it } from 'node:test';
import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { createApp, defineAggregate, defineProjection, reject, type AggregateTypes, type CommandResult, type ProjectionStatus } from 'tributary';
import { createCommandClient, type CommandClient } from 'tributary/nats';
import { given, type TestRunner } from 'tributary/testing';

const commands = { Add: z.object({ amount: z.number().int().positive() }) };
const events = { Added: z.object({ amount: z.number() }) };

const machine = setup({ types: {} as AggregateTypes<typeof commands, typeof events, { total: number }> }).createMachine({
  id: 'Counter',
  context: { total: 0 },
  on: {
    Add: [
      { guard: ({ context, event }) => context.total + event.payload.amount <= 100, actions: emit(({ event }) => ({ type: 'Added', data: event.payload })) },
      { actions: reject('TooMuch', ({ context }) => `the total ${context.total} would pass 100`) },
    ],
    Added: { actions: assign({ total: ({ context, event }) => context.total + event.data.amount }) },
  },
});

export const Counter = defineAggregate({ name: 'Counter', machine, commands, events });

export const Totals = defineProjection<number, { Added: { amount: number } }>({
  name: 'Totals',
  from: ['Counter'],
  handlers: { Added: (view, event, envelope) => view.put(envelope.id, (view.get(envelope.id) ?? 0) + event.data.amount) },
});

describe('Counter', () => {
  it('adds', async () => {
    await given(Counter).when('Add', { amount: 5 }).then([{ type: 'Added', data: { amount: 5 } }]);
    // @ts-expect-error: Add's amount is a number
    await given(Counter).when('Add', { amount: 'five' }).thenRejects('invalid');
    // @ts-expect-error: Counter has no command Remove
    await given(Counter).when('Remove', {}).thenRejects('unknown_command');
  });
});

export async function run(): Promise<number | undefined> {
  const app = await createApp({ engine: 'embedded', dataDir: './typed-data', aggregates: [Counter], projections: [Totals] });
  const r: CommandResult = await app.send({ type: 'Add', aggregate: 'Counter', id: 'c', payload: { amount: 1 } });
  const total: number | undefined = await app.projection(Totals).get('c', { minPosition: r.ok ? r.position : 0 });
  const state = await app.state(Counter, 'c');
  const n: number | undefined = state?.context.total;
  // @ts-expect-error: the context has no field named count
  void state?.context.count;
  const statuses: ProjectionStatus[] = await app.projections.statuses();
  await app.close();
  return total ?? n ?? statuses.length;
}

export type Client = CommandClient;
export const makeClient: typeof createCommandClient = createCommandClient;
export type Runner = TestRunner;
