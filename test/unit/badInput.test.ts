import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, it } from 'vitest';
import { emit, setup } from 'xstate';
import { decodeCommitRecord } from '../../src/eventLog/commitRecord.js';
import { CodecError, MAX_ID_LENGTH, createApp, decode, defineAggregate, type AggregateTypes, type Command, type SchemaMap } from '../../src/internal.js';
import { openApp, tempDir } from './aggregate/support.js';

const deposit = { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 5 } };

describe('bad input gets a clear typed error and writes nothing', () => {
  it.each([
    ['a.b', /it contains "\."/],
    ['*', /it contains "\*"/],
    ['>', /it contains ">"/],
    ['a b', /it contains " "/],
    ['tab\there', /it contains "\\t"/],
    ['nul\u0000', /it contains "\\u0000"/],
    ['', /id is empty/],
    ['x'.repeat(MAX_ID_LENGTH + 1), new RegExp(`id is ${MAX_ID_LENGTH + 1} characters long; the limit is ${MAX_ID_LENGTH}`)],
  ])('an id %j that is not a valid subject token', async (id, message) => {
    const app = await openApp();
    const r = await app.send({ ...deposit, type: 'OpenAccount', id, payload: { owner: 'Ada' } });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid', details: { field: 'id' } } });
    if (!r.ok) expect(r.error.message).toMatch(message);
    expect(await app.log.headPosition()).toBe(0);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['an unknown command type', { ...deposit, type: 'Teleport' }, 'unknown_command', /aggregate Account has no command "Teleport"; its commands are OpenAccount, Deposit, Withdraw, CloseAccount/],
    ['an unknown aggregate', { ...deposit, aggregate: 'Acount' }, 'unknown_command', /unknown aggregate "Acount"; known aggregates: Account, Order, Customer, Lab/],
    ['a schema-invalid payload', { ...deposit, payload: { amount: -5 } }, 'invalid', /invalid payload for Account.Deposit: amount: Too small/],
    ['a payload of the wrong type', { ...deposit, payload: { amount: '5' } }, 'invalid', /amount: Invalid input: expected number/],
    ['a null payload', { ...deposit, payload: null }, 'invalid', /invalid payload for Account.Deposit/],
    ['no payload', { type: 'Deposit', aggregate: 'Account', id: 'a-1' }, 'invalid', /command Deposit has no `payload`/],
    ['null', null, 'invalid', /a command must be an object/],
    ['a number', 42, 'invalid', /a command must be an object \{ type, aggregate, id, payload \}, got number/],
    ['an array', [deposit], 'invalid', /a command must be an object/],
    ['a missing type', { ...deposit, type: undefined }, 'invalid', /command `type` must be a non-empty string/],
    ['an empty type', { ...deposit, type: '' }, 'invalid', /command `type` must be a non-empty string/],
    ['a non-string aggregate', { ...deposit, aggregate: 7 }, 'invalid', /command `aggregate` must be a string/],
    ['a non-string id', { ...deposit, id: 7 }, 'invalid', /command `id` must be a string/],
    ['an empty commandId', { ...deposit, commandId: '' }, 'invalid', /`commandId` must be a non-empty string/],
    ['a huge commandId', { ...deposit, commandId: 'c'.repeat(257) }, 'invalid', /`commandId` must be a non-empty string of at most 256/],
    ['a non-string correlationId', { ...deposit, correlationId: 1 }, 'invalid', /`correlationId` must be a string/],
    ['a negative expectedVersion', { ...deposit, expectedVersion: -1 }, 'invalid', /`expectedVersion` must be a non-negative integer, got -1/],
    ['a fractional expectedVersion', { ...deposit, expectedVersion: 1.5 }, 'invalid', /`expectedVersion` must be a non-negative integer/],
    ['a string expectedVersion', { ...deposit, expectedVersion: '1' }, 'invalid', /`expectedVersion` must be a non-negative integer/],
  ])('%s', async (_what, command, code, message) => {
    const app = await openApp();
    await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    const r = await app.send(command as Command);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message).toMatch(message);
    }
    expect(await app.log.headPosition()).toBe(1);
  });

  it('puts the schema issues in the details', async () => {
    const app = await openApp();
    const r = await app.send({ type: 'AddItem', aggregate: 'Order', id: 'o-1', payload: { sku: '', name: 'Tea', quantity: 0, unitPrice: 1 } });
    expect(r).toMatchObject({
      ok: false,
      error: {
        code: 'invalid',
        details: { aggregate: 'Order', type: 'AddItem', issues: [{ path: 'sku' }, { path: 'quantity' }] },
      },
    });
  });

  it('never rejects, even when a schema throws', async () => {
    const throwing: StandardSchemaV1 = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: () => {
          throw new Error('schema bug');
        },
      },
    };
    const commands: SchemaMap = { Go: throwing };
    const machine = setup({ types: {} as AggregateTypes<{ Go: StandardSchemaV1 }, { Went: StandardSchemaV1 }, object> }).createMachine({
      on: { Go: { actions: emit({ type: 'Went', data: {} }) } },
    });
    const Broken = defineAggregate({ name: 'Broken', machine, commands, events: { Went: throwing } });
    const app = await createApp({ engine: 'embedded', dataDir: tempDir(), aggregates: [Broken] });
    try {
      expect(await app.send({ type: 'Go', aggregate: 'Broken', id: 'b-1', payload: {} })).toEqual({
        ok: false,
        error: { code: 'internal', message: 'schema bug' },
      });
      expect(await app.send(undefined as never)).toMatchObject({ ok: false, error: { code: 'invalid' } });
      expect(await app.log.headPosition()).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('corrupt msgpack bytes are a CodecError', () => {
    const corrupt = Uint8Array.from([0x82, 0xa4, 0x74, 0x79]);
    expect(() => decode(corrupt)).toThrow(CodecError);
    expect(() => decodeCommitRecord(corrupt)).toThrow(CodecError);
    try {
      decodeCommitRecord(Uint8Array.from([0x81, 0xa1, 0x61, 0x01]));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CodecError);
      expect((err as CodecError).code).toBe('bad_encoding');
    }
  });
});
