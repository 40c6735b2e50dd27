import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { defineProjection } from '../../../src/projection/defineProjection.js';

const noop = () => {};

describe('defineProjection', () => {
  it('applies an event when it has a handler and its aggregate or type is in "from"', () => {
    const p = defineProjection({ name: 'P', from: ['Order', 'CustomerRegistered'], handlers: { OrderCreated: noop, CustomerRegistered: noop } });
    expect(p.consumes('Order', 'OrderCreated')).toBe(true);
    expect(p.consumes('Customer', 'CustomerRegistered')).toBe(true);
    expect(p.consumes('Customer', 'OrderCreated')).toBe(false);
    expect(p.consumes('Order', 'OrderShipped')).toBe(false);
  });

  it.each([
    ['a name with a dot', { name: 'a.b', from: ['A'], handlers: { E: noop } }, /projection name "a.b" is not valid/],
    ['an empty name', { name: '', from: ['A'], handlers: { E: noop } }, /projection name "" is not valid/],
    ['an empty from', { name: 'P', from: [], handlers: { E: noop } }, /"from" must list at least one/],
    ['no handlers', { name: 'P', from: ['A'], handlers: {} }, /has no handlers/],
    ['a handler that is not a function', { name: 'P', from: ['A'], handlers: { E: 42 } }, /handler of E is not a function/],
    ['a bad index name', { name: 'P', from: ['A'], handlers: { E: noop }, indexes: { 'by customer': noop } }, /index name "by customer" is not valid/],
  ])('refuses %s with a ValidationError', (_what, options, message) => {
    expect(() => defineProjection(options as never)).toThrow(ValidationError);
    expect(() => defineProjection(options as never)).toThrow(message);
  });
});
