import { jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account, Customer, Order } from '../../actors/index.js';
import { decode, encode } from '../../src/codec/msgpack.js';
import type { Command, CommandResult } from '../../src/commands/command.js';
import { createCommandClient, type CommandClient } from '../../src/commands/commandClient.js';
import { createApp, type NatsApp } from '../../src/createApp.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

type LogLine = { level: number; msg: string; subject?: string; code?: string };

let nc: NatsConnection;
let app: NatsApp;
let client: CommandClient;
let stream: string;
let prefix: string;
const logLines: LogLine[] = [];

beforeAll(async () => {
  const servers = sharedNatsUrl();
  nc = await connect({ servers });
  stream = uniqueName('BAD');
  prefix = stream.toLowerCase();
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(JSON.parse(line) as LogLine) });
  app = await createApp({ engine: 'nats', servers, stream, prefix, aggregates: [Account, Order, Customer], logger });
  client = createCommandClient({ nc, prefix, timeout: 5000 });
});

afterAll(async () => {
  await client?.close();
  await app?.close();
  if (nc) {
    const jsm = await jetstreamManager(nc);
    for (const name of [stream, `${stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  }
});

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

const deposit = { type: 'Deposit', payload: { amount: 1 } };
const jsonHeaders = (): MsgHdrs => {
  const h = headers();
  h.set('Content-Type', 'application/json');
  return h;
};

type Case = { name: string; id?: string; data: Uint8Array | string; code: string; message?: RegExp; json?: boolean };

const cases: Case[] = [
  { name: 'a byte that is not msgpack', data: new Uint8Array([0xc1]), code: 'bad_encoding' },
  { name: 'an empty body', data: new Uint8Array(0), code: 'bad_encoding' },
  { name: 'truncated msgpack', data: encode(deposit).slice(0, 6), code: 'bad_encoding' },
  { name: 'msgpack with trailing bytes', data: concat(encode(deposit), new Uint8Array([1])), code: 'bad_encoding' },
  { name: 'a map with a boolean key', data: new Uint8Array([0x81, 0xc3, 0x01]), code: 'bad_encoding' },
  { name: 'a __proto__ key', data: new Uint8Array([0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0xc0]), code: 'bad_encoding' },
  { name: 'a number', data: encode(42), code: 'invalid', message: /must be a map/ },
  { name: 'an array', data: encode([deposit]), code: 'invalid', message: /got an array/ },
  { name: 'a string', data: encode('Deposit'), code: 'invalid' },
  { name: 'nil', data: encode(null), code: 'invalid', message: /got null/ },
  { name: 'binary', data: encode(new Uint8Array([1, 2])), code: 'invalid', message: /got binary/ },
  { name: 'an empty map', data: encode({}), code: 'invalid', message: /type/ },
  { name: 'no payload', data: encode({ type: 'Deposit' }), code: 'invalid', message: /payload/ },
  { name: 'no type', data: encode({ payload: { amount: 1 } }), code: 'invalid', message: /type/ },
  { name: 'a numeric type', data: encode({ type: 5, payload: {} }), code: 'invalid', message: /type/ },
  { name: 'an unknown field', data: encode({ ...deposit, expected_version: 3 }), code: 'invalid', message: /unknown command field "expected_version"/ },
  { name: 'an unknown command', data: encode({ type: 'Teleport', payload: {} }), code: 'unknown_command', message: /Teleport/ },
  { name: 'another aggregate than the subject', data: encode({ ...deposit, aggregate: 'Nope' }), code: 'invalid', message: /"Nope" does not match/ },
  { name: 'a schema-invalid payload (empty owner)', data: encode({ type: 'OpenAccount', payload: { owner: '' } }), code: 'invalid' },
  { name: 'a schema-invalid payload (wrong type)', data: encode({ type: 'Deposit', payload: { amount: 'ten' } }), code: 'invalid' },
  { name: 'a schema-invalid payload (negative)', data: encode({ type: 'Deposit', payload: { amount: -5 } }), code: 'invalid' },
  { name: 'a nil payload', data: encode({ type: 'OpenAccount', payload: null }), code: 'invalid' },
  { name: 'a numeric commandId', data: encode({ ...deposit, commandId: 42 }), code: 'invalid', message: /commandId/ },
  { name: 'an empty commandId', data: encode({ ...deposit, commandId: '' }), code: 'invalid', message: /commandId/ },
  { name: 'a negative expectedVersion', data: encode({ ...deposit, expectedVersion: -1 }), code: 'invalid', message: /expectedVersion/ },
  { name: 'a string expectedVersion', data: encode({ ...deposit, expectedVersion: '1' }), code: 'invalid', message: /expectedVersion/ },
  { name: 'a map correlationId', data: encode({ ...deposit, correlationId: {} }), code: 'invalid', message: /correlationId/ },
  { name: 'an id with "." in the body', id: 'a', data: encode({ ...deposit, id: 'a.b' }), code: 'invalid', message: /"a.b" does not match/ },
  { name: 'an id with a space in the body', id: 'a', data: encode({ ...deposit, id: 'a b' }), code: 'invalid' },
  { name: 'an id with "*" in the body', id: 'a', data: encode({ ...deposit, id: 'a*' }), code: 'invalid' },
  { name: 'the subject token "*"', id: '*', data: encode(deposit), code: 'invalid', message: /contains "\*"/ },
  { name: 'the subject token ">"', id: '>', data: encode(deposit), code: 'invalid', message: /contains ">"/ },
  { name: 'the subject token "*" in the body too', id: '*', data: encode({ ...deposit, id: '*' }), code: 'invalid' },
  { name: 'an id over 128 characters', id: 'x'.repeat(129), data: encode(deposit), code: 'invalid', message: /128/ },
  {
    name: 'a 1 MB payload (under the server max_payload)',
    data: encode({ type: 'OpenAccount', payload: { owner: 'x'.repeat(1_000_000) } }),
    code: 'invalid',
    message: /accepts at most 524288/,
  },
  { name: 'malformed JSON', json: true, data: '{"type": "Deposit"', code: 'bad_encoding', message: /JSON/ },
  { name: 'JSON that is not UTF-8', json: true, data: new Uint8Array([0x22, 0xff, 0x22]), code: 'bad_encoding' },
  { name: 'JSON that is not an object', json: true, data: '[1, 2]', code: 'invalid' },
  { name: 'msgpack sent as JSON', json: true, data: encode(deposit), code: 'bad_encoding' },
];

async function request(id: string, data: Uint8Array | string, json = false): Promise<CommandResult> {
  const msg = await nc.request(`${prefix}.cmd.Account.${id}`, data, json ? { timeout: 10_000, headers: jsonHeaders() } : { timeout: 10_000 });
  return (json ? msg.json() : decode(msg.data)) as CommandResult;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('bad input to the command service', () => {
  it('gets an error reply with the right code for every kind of garbage, all at once, and nothing is appended', async () => {
    const replies = await Promise.all(cases.map((c) => request(c.id ?? 'victim', c.data, c.json)));
    const outcome = (r: CommandResult) => (r.ok ? 'ok' : r.error.code);
    expect(cases.map((c, i) => `${c.name}: ${outcome(replies[i]!)}`)).toEqual(cases.map((c) => `${c.name}: ${c.code}`));
    cases.forEach((c, i) => {
      const r = replies[i]!;
      if (!r.ok) {
        expect(r.error.message.length).toBeGreaterThan(10);
        if (c.message) expect(r.error.message).toMatch(c.message);
      }
    });
    const schemaFailure = replies[cases.findIndex((c) => c.name.includes('wrong type'))]!;
    expect(schemaFailure).toMatchObject({ ok: false, error: { details: { issues: [{ path: 'amount' }] } } });
    expect(await app.log.headPosition()).toBe(0);
    expect(app.commands?.inFlight).toBe(0);
    // What fails before dispatch (undecodable, not a command map) is logged as a warning with its code.
    const warned = (code: string) => logLines.filter((l) => l.msg === 'refused a malformed command' && l.code === code).length;
    expect(warned('bad_encoding')).toBe(cases.filter((c) => c.code === 'bad_encoding').length);
    expect(warned('invalid')).toBeGreaterThanOrEqual(cases.filter((c) => /must be a map|got|unknown command field|does not match|accepts at most/.test(c.message?.source ?? '')).length);
  });

  it('keeps serving after the garbage', async () => {
    const open: Command = { type: 'OpenAccount', aggregate: 'Account', id: 'after', payload: { owner: 'Ada' }, commandId: 'after-1' };
    expect(await client.send(open)).toMatchObject({ ok: true, version: 1 });
    expect(await request('after', encode({ ...deposit, commandId: 'after-2' }))).toMatchObject({ ok: true, version: 2 });
    expect((await app.log.readStream('Account', 'after')).map((e) => e.type)).toEqual(['AccountOpened', 'Deposited']);
  });

  it('logs and drops a command that has no reply subject, without running it', async () => {
    const head = await app.log.headPosition();
    const subject = `${prefix}.cmd.Account.fire-and-forget`;
    nc.publish(subject, encode({ type: 'OpenAccount', payload: { owner: 'Ada' }, commandId: 'ff-1' }));
    await nc.flush();
    for (let i = 0; i < 100 && !logLines.some((l) => l.subject === subject); i++) await sleep(10);
    expect(logLines.find((l) => l.subject === subject)).toMatchObject({ level: 40, msg: expect.stringMatching(/dropped a command without a reply subject/) });
    // A request right behind it on the same connection is answered, so the dropped one was not queued.
    expect(await request('fire-and-forget', encode({ type: 'Deposit', payload: { amount: 1 } }))).toMatchObject({
      ok: false,
      error: { code: 'rejected' },
    });
    expect(await app.log.headPosition()).toBe(head);
    expect(await app.state(Account, 'fire-and-forget')).toBeUndefined();
  });

  it('never puts an id that cannot be a subject token on the wire: the client answers invalid', async () => {
    for (const id of ['a.b', 'a b', '*', '>', 'a\tb', '']) {
      const r = await client.send({ type: 'OpenAccount', aggregate: 'Account', id, payload: { owner: 'Ada' } });
      expect(r, JSON.stringify(id)).toMatchObject({ ok: false, error: { code: 'invalid', details: { field: 'id' } } });
    }
    const badName = await client.send({ type: 'OpenAccount', aggregate: 'my.Account', id: 'a', payload: { owner: 'Ada' } });
    expect(badName).toMatchObject({ ok: false, error: { code: 'invalid', details: { field: 'aggregate' } } });
  });

  it('an aggregate nobody hosts has no responders; the client reports unknown_command after its timeout', async () => {
    await expect(nc.request(`${prefix}.cmd.Nope.x`, encode(deposit), { timeout: 2000 })).rejects.toThrow(/no responders/);
    // "a.b" in the subject is two tokens: no hosted subject `<prefix>.cmd.Account.*` matches it.
    await expect(nc.request(`${prefix}.cmd.Account.a.b`, encode(deposit), { timeout: 2000 })).rejects.toThrow(/no responders/);
    const started = Date.now();
    const r = await client.send({ type: 'Deposit', aggregate: 'Nope', id: 'x', payload: { amount: 1 } }, { timeout: 400 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(r).toMatchObject({ ok: false, error: { code: 'unknown_command', details: { noResponders: true, subject: `${prefix}.cmd.Nope.x` } } });
  });

  it('a command over the server max_payload is refused before it is sent, and a raw one never reaches the service', async () => {
    const huge: Command = { type: 'OpenAccount', aggregate: 'Account', id: 'huge', payload: { owner: 'x'.repeat(2_000_000) } };
    const r = await client.send(huge);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/max_payload/) } });
    expect(() => nc.publish(`${prefix}.cmd.Account.huge`, encode(huge), { reply: '_INBOX.none' })).toThrow(/max_payload/);
    expect(await request('huge', encode({ ...deposit }))).toMatchObject({ ok: false, error: { code: 'rejected' } });
    expect(await app.state(Account, 'huge')).toBeUndefined();
  });
});
