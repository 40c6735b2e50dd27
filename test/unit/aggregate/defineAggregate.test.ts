import { emit, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, defineAggregate, type AggregateTypes } from '../../../src/index.js';

const commands = { Ping: z.object({}) };
const events = { Pinged: z.object({}) };
const machine = setup({ types: {} as AggregateTypes<typeof commands, typeof events, object> }).createMachine({
  on: { Ping: { actions: emit({ type: 'Pinged', data: {} }) } },
});

describe('defineAggregate', () => {
  it('returns the definition', () => {
    const Pinger = defineAggregate({ name: 'Pinger', machine, commands, events, snapshotEvery: 10 });
    expect(Pinger).toMatchObject({ name: 'Pinger', machine, commands, events, snapshotEvery: 10 });
  });

  it.each([
    ['an aggregate name with a dot', { name: 'my.pinger' }, /aggregate name "my.pinger" is not valid/],
    ['an empty aggregate name', { name: '' }, /aggregate name "" is not valid/],
    ['something that is not a machine', { machine: {} }, /must be an XState machine/],
    ['a command schema that is not a Standard Schema', { commands: { Ping: { parse: () => ({}) } } }, /schema of command Ping is not a Standard Schema/],
    ['an event type that is not an identifier', { events: { 'Pinged.v2': z.object({}) } }, /event type "Pinged.v2" must be/],
    ['a command that is also an event', { commands: { Ping: z.object({}) }, events: { Ping: z.object({}), Pinged: z.object({}) } }, /Ping is both a command and an event/],
    ['a command with no transition', { commands: { Ping: z.object({}), Pong: z.object({}) } }, /command Pong has no transition in the machine/],
    ['a zero snapshotEvery', { snapshotEvery: 0 }, /snapshotEvery must be a positive integer/],
    ['a fractional snapshotEvery', { snapshotEvery: 2.5 }, /snapshotEvery must be a positive integer/],
  ])('throws ConfigError for %s', (_what, override, message) => {
    const options = { name: 'Pinger', machine, commands, events, ...override } as Parameters<typeof defineAggregate>[0];
    expect(() => defineAggregate(options)).toThrow(ConfigError);
    expect(() => defineAggregate(options)).toThrow(message);
  });
});
