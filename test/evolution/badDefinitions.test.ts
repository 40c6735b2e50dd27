import { setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, defineAggregate, type DefineAggregateOptions, type SchemaMap } from '../../src/index.js';

const commands = { Open: z.object({ owner: z.string() }) };
const events = { Opened: z.object({ holder: z.object({ name: z.string().min(1) }) }), Noted: z.object({ note: z.string() }) };
const machine = setup({}).createMachine({ initial: 'a', states: { a: { on: { Open: 'a' } } } });

type Extra = Pick<DefineAggregateOptions<'Lab', SchemaMap, SchemaMap, typeof machine>, 'versions' | 'personal' | 'snapshotEvery'>;
const define = (extra: Extra) => () => defineAggregate({ name: 'Lab', machine, commands, events, ...extra });
const up = { example: { owner: 'Ada' }, upcast: (d: { owner: string }) => ({ holder: { name: d.owner } }) };

describe('bad versions and personal fields are a ConfigError when the aggregate is defined', () => {
  it('accepts a complete chain', () => {
    expect(define({ versions: { Opened: { version: 2, upcasters: { 1: up } } } })).not.toThrow();
  });

  it('a gap in the upcaster chain', () => {
    const fromTwo = { example: { holder: { name: 'Ada' } }, upcast: (d: unknown) => d };
    expect(define({ versions: { Opened: { version: 3, upcasters: { 2: fromTwo } } } })).toThrow(ConfigError);
    expect(define({ versions: { Opened: { version: 3, upcasters: { 2: fromTwo } } } })).toThrow(/the one from version 1 to 2 is missing/);
    expect(define({ versions: { Opened: { version: 2 } } })).toThrow(/version 1 to 2 is missing/);
  });

  it('an upcaster that throws on its example, or whose result fails the current schema', () => {
    const throwing = { example: { owner: 'Ada' }, upcast: () => { throw new Error('boom'); } };
    expect(define({ versions: { Opened: { version: 2, upcasters: { 1: throwing } } } })).toThrow(/Opened: the upcaster chain from version 1 threw on its example: boom/);
    const wrong = { example: { owner: '' }, upcast: (d: { owner: string }) => ({ holder: { name: d.owner } }) };
    expect(define({ versions: { Opened: { version: 2, upcasters: { 1: wrong } } } })).toThrow(/upcast to version 2, fails the schema/);
  });

  it('an upcaster that throws once the personal fields are erased (null)', () => {
    const fragile = { example: { owner: 'Ada' }, upcast: (d: { owner: string }) => ({ holder: { name: d.owner.trim() } }) };
    expect(
      define({ versions: { Opened: { version: 2, upcasters: { 1: fragile } } }, personal: { Opened: { subject: ({ id }) => id, fields: ['owner'] } } }),
    ).toThrow(/with the personal fields erased \(null\)/);
  });

  it('a personal field without a subject, or with personal fields and snapshots', () => {
    expect(define({ personal: { Noted: { fields: ['note'] } as never } })).toThrow(/personal fields need a `subject`/);
    expect(define({ personal: { Noted: { subject: '', fields: ['note'] } } })).toThrow(ConfigError);
    expect(define({ personal: { Noted: { subject: ({ id }) => id, fields: [] } } })).toThrow(/non-empty list/);
    expect(define({ personal: { Noted: { subject: ({ id }) => id, fields: ['note'] } }, snapshotEvery: 10 })).toThrow(/cannot take snapshots/);
  });

  it('a declaration for an event the aggregate does not have, or a former name still in use', () => {
    expect(define({ versions: { Gone: { version: 1 } } })).toThrow(/names an event the aggregate does not have/);
    expect(define({ versions: { Opened: { version: 2, upcasters: { 1: up }, formerly: ['Noted'] } } })).toThrow(/former name Noted is still an event/);
  });
});
