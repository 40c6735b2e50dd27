import { setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { ConfigError, defineProcess, sendCommand } from '../../../src/index.js';
import { givenProcess } from '../../../src/testing/index.js';
import { Probe } from '../../process/probe.js';

const machine = setup({}).createMachine({ id: 'M', initial: 'a', states: { a: {} } });

describe('defineProcess', () => {
  it('refuses a bad name, machine, from or correlate with a ConfigError', () => {
    expect(() => defineProcess({ name: 'bad name', machine, from: ['X'], correlate: () => undefined })).toThrow(ConfigError);
    expect(() => defineProcess({ name: 'P', machine: {} as typeof machine, from: ['X'], correlate: () => undefined })).toThrow(/must be an XState machine/);
    expect(() => defineProcess({ name: 'P', machine, from: [], correlate: () => undefined })).toThrow(/`from` must list/);
    expect(() => defineProcess({ name: 'P', machine, from: ['X'], correlate: 'id' as never })).toThrow(/`correlate` must be a function/);
  });

  it('listens by aggregate name or event type', () => {
    const p = defineProcess({ name: 'P', machine, from: ['Order', 'Withdrawn'], correlate: (e) => e.id });
    const envelope = (aggregate: string, type: string) => ({ aggregate, type }) as never;
    expect(p.listensTo(envelope('Order', 'OrderShipped'))).toBe(true);
    expect(p.listensTo(envelope('Account', 'Withdrawn'))).toBe(true);
    expect(p.listensTo(envelope('Account', 'Deposited'))).toBe(false);
  });
});

describe('givenProcess halts', () => {
  const poked = (data: Record<string, unknown>) => ({ type: 'Poked', aggregate: 'ProbeTarget', id: 'p-1', data });
  it('a machine that throws halts the instance, with the input named', async () => {
    await givenProcess(Probe).when(poked({ boom: true })).thenHalts('boom on purpose');
    await givenProcess(Probe).when(poked({ boom: true })).thenHalts('Poked (ProbeTarget/p-1) at position 1');
  });
  it('a malformed command halts the instance', async () => {
    await givenProcess(Probe).when(poked({ send: { type: 'Deposit', aggregate: 'Account' } })).thenHalts('sendCommand needs { type, aggregate, id, payload }');
    await expect(givenProcess(Probe).when(poked({ send: { type: 'Deposit', aggregate: 'Account', id: 'a', payload: {} } })).thenHalts()).rejects.toThrow(/expected the instance to halt/);
  });
  it('sendCommand sends a list in order', async () => {
    const m = setup({}).createMachine({ id: 'L', initial: 'a', states: { a: { on: { Go: { actions: sendCommand([{ type: 'A', aggregate: 'X', id: '1', payload: {} }, { type: 'B', aggregate: 'X', id: '2', payload: {} }]) } } } } });
    const P = defineProcess({ name: 'L', machine: m, from: ['Go'], correlate: () => 'one' });
    await givenProcess(P).when({ type: 'Go', data: {} }).thenSends([{ type: 'A', aggregate: 'X', id: '1', payload: {} }, { type: 'B', aggregate: 'X', id: '2', payload: {} }]);
  });
});
