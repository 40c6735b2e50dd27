import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The README example writes to ./data: run it in a directory of its own.
const home = process.cwd();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-'));
process.chdir(scratch);

// README:begin
import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { createApp, defineAggregate, reject, type AggregateTypes } from 'tributary';

// Payloads are checked at the boundary: zod here, any Standard Schema validator works.
const commands = {
  OpenTab: z.object({ table: z.number().int().positive() }),
  OrderDrink: z.object({ drink: z.string().min(1), price: z.number().int().positive() }),
  CloseTab: z.object({}),
};
const events = {
  TabOpened: z.object({ table: z.number() }),
  DrinkOrdered: z.object({ drink: z.string(), price: z.number() }),
  TabClosed: z.object({ total: z.number() }),
};

const machine = setup({
  types: {} as AggregateTypes<typeof commands, typeof events, { table: number; total: number }>,
}).createMachine({
  id: 'Tab',
  context: { table: 0, total: 0 },
  initial: 'new',
  states: {
    new: {
      on: {
        // A command transition checks guards and emits events; it never assigns.
        OpenTab: { actions: emit(({ event }) => ({ type: 'TabOpened', data: event.payload })) },
        // An event transition evolves the state, once the event is in the log.
        TabOpened: { target: 'open', actions: assign({ table: ({ event }) => event.data.table }) },
      },
    },
    open: {
      on: {
        OrderDrink: { actions: emit(({ event }) => ({ type: 'DrinkOrdered', data: event.payload })) },
        CloseTab: [
          { guard: ({ context }) => context.total > 0, actions: emit(({ context }) => ({ type: 'TabClosed', data: { total: context.total } })) },
          { actions: reject('NothingOrdered', 'nothing was ordered on this tab') },
        ],
        DrinkOrdered: { actions: assign({ total: ({ context, event }) => context.total + event.data.price }) },
        TabClosed: { target: 'closed' },
      },
    },
    closed: {},
  },
});

export const Tab = defineAggregate({ name: 'Tab', machine, commands, events });

const app = await createApp({ engine: 'embedded', dataDir: './data', aggregates: [Tab] });

await app.send({ type: 'OpenTab', aggregate: 'Tab', id: 'table-7', payload: { table: 7 } });
const tooEarly = await app.send({ type: 'CloseTab', aggregate: 'Tab', id: 'table-7', payload: {} });
// { ok: false, error: { code: 'rejected', message: 'nothing was ordered on this tab', details: { reason: 'NothingOrdered', ... } } }
const ordered = await app.send({ type: 'OrderDrink', aggregate: 'Tab', id: 'table-7', payload: { drink: 'Espresso', price: 250 } });
// { ok: true, version: 2, position: 3, events: [{ type: 'DrinkOrdered', data: { drink: 'Espresso', price: 250 }, eventId, timestamp, ... }] } (the stored rejection took position 2)
const bad = await app.send({ type: 'OrderDrink', aggregate: 'Tab', id: 'table-7', payload: { drink: '', price: -1 } });
// { ok: false, error: { code: 'invalid', message: 'invalid payload for Tab.OrderDrink: ...', details: { issues: [...] } } }
const tab = await app.state(Tab, 'table-7');
// { value: 'open', context: { table: 7, total: 250 }, version: 2 }: typed, tab?.context.total is a number
await app.close();
// README:end

process.chdir(home);

// README:given:begin
import { given } from 'tributary/testing';

await given(Tab, [{ type: 'TabOpened', data: { table: 7 } }]).when('CloseTab').thenRejects('rejected', 'NothingOrdered');
await given(Tab, [{ type: 'TabOpened', data: { table: 7 } }])
  .when('OrderDrink', { drink: 'Tea', price: 300 })
  .then([{ type: 'DrinkOrdered', data: { drink: 'Tea', price: 300 } }]);
// README:given:end

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('the README embedding example', () => {
  it('rejects closing an empty tab with its reason, and writes nothing', () => {
    expect(tooEarly).toMatchObject({ ok: false, error: { code: 'rejected', message: 'nothing was ordered on this tab', details: { reason: 'NothingOrdered' } } });
  });

  it('accepts an order: version 2 at position 3 (the stored rejection took 2), with the event as the README shows', () => {
    expect(ordered).toMatchObject({ ok: true, version: 2, position: 3, events: [{ type: 'DrinkOrdered', data: { drink: 'Espresso', price: 250 } }] });
  });

  it('refuses an invalid payload before it reaches the aggregate', () => {
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe('invalid');
      expect(bad.error.message).toMatch(/^invalid payload for Tab\.OrderDrink: /);
      expect(bad.error.details?.issues).toBeInstanceOf(Array);
    }
  });

  it('reads the state back from the write model', () => {
    expect(tab).toEqual({ value: 'open', context: { table: 7, total: 250 }, version: 2 });
    expect(fs.existsSync(path.join(scratch, 'data', 'log'))).toBe(true);
  });

  it('is, line for line, the code README.md shows (both blocks of "Embedding")', () => {
    const source = fs.readFileSync(new URL(import.meta.url), 'utf8');
    const region = (name: string) => new RegExp(`// README:${name}begin\\n([\\s\\S]*?)// README:${name}end\\n`).exec(source)?.[1];
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = /\n## Embedding\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(region('')).toBeDefined();
    expect(region('given:')).toBeDefined();
    expect(blocks).toEqual([region(''), region('given:')]);
  });
});
