import { emit, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAggregateInstance } from '../../../src/aggregate/aggregateInstance.js';
import { defineAggregate, type AggregateTypes, type CommandMessage, type EventEnvelope } from '../../../src/index.js';
import { given } from '../../../src/testing/index.js';
import { Lab, sideEffects } from './labAggregate.js';

const started = [{ type: 'Started', data: {} }] as const;

function envelope(type: string, data: unknown, version: number): EventEnvelope {
  return { type, data, eventId: `c${version}/0`, aggregate: 'Lab', id: 'l-1', version, position: version, timestamp: 0, commandId: `c${version}`, correlationId: `c${version}`, causationId: `c${version}` };
}

function command(type: string, payload: unknown = {}): CommandMessage {
  return { type, aggregate: 'Lab', id: 'l-1', payload, commandId: `cmd-${type}` };
}

// Commands whose transitions XState answers with the snapshot unchanged and no actions, as it does
// for a command no transition takes: only some of them are accepted, exactly as `can()` says.
const edgeCommands = { Stay: z.object({}), Forbidden: z.object({}), Nudge: z.object({}), Poke: z.object({}) };
const edgeEvents = { Poked: z.object({}) };
const edgeMachine = (withEventless: boolean) =>
  setup({ types: {} as AggregateTypes<typeof edgeCommands, typeof edgeEvents, object> }).createMachine({
    id: 'Edge',
    initial: 'a',
    states: {
      a: {
        // Fires on a command no transition of `a` takes, if its guard reads that command.
        ...(withEventless ? { always: { guard: ({ event }) => event.type === 'Nudge', actions: emit({ type: 'Poked', data: {} }) } } : {}),
        on: { Stay: { target: 'a' }, Forbidden: {}, Poke: { actions: emit({ type: 'Poked', data: {} }) } },
      },
      b: { on: { Nudge: { actions: emit({ type: 'Poked', data: {} }) }, Forbidden: { actions: emit({ type: 'Poked', data: {} }) } } },
    },
  });

describe('aggregate instance (the host rules, in memory)', () => {
  it.each([false, true])('tells an accepted command from one not accepted as can() does (eventless transitions: %s)', async (withEventless) => {
    const Edge = defineAggregate({ name: 'Edge', machine: edgeMachine(withEventless), commands: edgeCommands, events: edgeEvents });
    const instance = createAggregateInstance(Edge, 'e-1');
    const decide = (type: string) => instance.decide({ type, aggregate: 'Edge', id: 'e-1', payload: {}, commandId: `c-${type}` });
    expect(await decide('Stay')).toEqual({ ok: true, events: [] });
    expect(await decide('Poke')).toEqual({ ok: true, events: [{ type: 'Poked', data: {} }] });
    for (const type of ['Forbidden', 'Nudge']) {
      expect(await decide(type)).toMatchObject({ ok: false, error: { code: 'rejected', message: `command ${type} is not accepted in state a` } });
    }
  });


  it('rejects a command not accepted in the current state, naming the command and the state', async () => {
    const instance = createAggregateInstance(Lab, 'l-1');
    instance.evolve([envelope('Started', {}, 1)]);
    const decision = await instance.decide(command('Start'));
    expect(decision).toEqual({
      ok: false,
      error: {
        code: 'rejected',
        message: 'command Start is not accepted in state running.idle',
        details: { reason: 'NotAccepted', aggregate: 'Lab', id: 'l-1', command: 'Start', state: 'running.idle' },
      },
    });
  });

  it('turns reject() into a rejection with its reason and computed message', async () => {
    const instance = createAggregateInstance(Lab, 'l-1');
    instance.evolve([envelope('Started', {}, 1), envelope('Added', { n: 5 }, 2)]);
    const decision = await instance.decide(command('Refuse', { why: 'tests' }));
    expect(decision.ok).toBe(false);
    if (!decision.ok) {
      expect(decision.error.code).toBe('rejected');
      expect(decision.error.message).toBe('no (tests, total 5)');
      expect(decision.error.details?.reason).toBe('Refused');
    }
  });

  it('accepts a command that emits nothing, with no events', async () => {
    await given(Lab, [...started]).when('Nothing').then([]);
  });

  it('collects every event a command emits, in order', async () => {
    await given(Lab, [...started]).when('Twice').then([
      { type: 'Added', data: { n: 1 } },
      { type: 'Added', data: { n: 2 } },
    ]);
  });

  it.each([
    ['assigns context', 'Sneak', /command transition Sneak in state running.idle changed the context/],
    ['changes state', 'Jump', /command transition Jump in state running.idle changed the state \(to running.elsewhere\)/],
    ['emits an event the aggregate does not have', 'Stray', /emitted "NotAnEvent", which is not one of its events \(Started, Added, Poisoned\)/],
    ['emits invalid event data', 'Garble', /command Garble emitted an invalid Added: n: /],
    ['throws in an action', 'Explode', /command Explode failed in state running.idle: boom/],
    ['throws in a guard', 'Suspicious', /command Suspicious failed in state running.idle: .*guard boom/s],
  ])('reports a machine that %s as internal, and leaves the state untouched', async (_what, type, message) => {
    const instance = createAggregateInstance(Lab, 'l-1');
    instance.evolve([envelope('Started', {}, 1), envelope('Added', { n: 3 }, 2)]);
    const decision = await instance.decide(command(type));
    expect(decision.ok).toBe(false);
    if (!decision.ok) {
      expect(decision.error.code).toBe('internal');
      expect(decision.error.message).toMatch(message);
    }
    expect(instance.snapshot.context).toEqual({ total: 3 });
    expect(instance.snapshot.value).toEqual({ running: 'idle' });
    expect(await instance.decide(command('Add', { n: 1 }))).toEqual({ ok: true, events: [{ type: 'Added', data: { n: 1 } }] });
  });

  it('does not run custom actions, which would be side effects', async () => {
    await given(Lab, [...started]).when('Effect').then([{ type: 'Added', data: { n: 0 } }]);
    expect(sideEffects.count).toBe(0);
  });

  it('throws internal when an event transition fails, and stays at the last good version', () => {
    const instance = createAggregateInstance(Lab, 'l-1');
    expect(() => instance.evolve([envelope('Started', {}, 1), envelope('Poisoned', {}, 2)])).toThrow(
      /event transition Poisoned \(version 2\) failed: poisoned/,
    );
    expect(instance.version).toBe(1);
  });

  it('refuses a gap in versions', () => {
    const instance = createAggregateInstance(Lab, 'l-1');
    expect(() => instance.evolve([envelope('Started', {}, 2)])).toThrow(/expected event version 1, got 2/);
    expect(instance.version).toBe(0);
  });

  it('tracks version and position, and restores from its persisted state', async () => {
    const instance = createAggregateInstance(Lab, 'l-1');
    instance.evolve([envelope('Started', {}, 1), envelope('Added', { n: 7 }, 2)]);
    expect([instance.version, instance.position]).toEqual([2, 2]);
    const restored = createAggregateInstance(Lab, 'l-1', { state: structuredClone(instance.persistedState()), version: 2, position: 2 });
    expect(restored.snapshot.context).toEqual({ total: 7 });
    expect(restored.snapshot.value).toEqual({ running: 'idle' });
    expect(await restored.decide(command('Refuse', { why: 'x' }))).toMatchObject({ ok: false, error: { message: 'no (x, total 7)' } });
  });
});
