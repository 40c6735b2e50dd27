import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom, type Subscription } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { AccountBalance, type AccountBalanceRow } from '../../projections/index.js';
import { decode, encode } from '../../src/codec/msgpack.js';
import { createApp, type NatsApp } from '../../src/createApp.js';
import { NotFoundError, TimeoutError } from '../../src/errors.js';
import { defineProjection } from '../../src/projection/defineProjection.js';
import type { ViewChange } from '../../src/projection/projection.js';
import { createViewClient, type ViewClient } from '../../src/views/viewClient.js';
import { encodeViewKey } from '../../src/views/viewSubjects.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

// Keyed by the owner's name, which may hold dots and spaces: keys that are not subject tokens.
const Owners = defineProjection<{ accounts: string[] }, { AccountOpened: { owner: string } }>({
  name: 'Owners',
  from: ['Account'],
  handlers: {
    AccountOpened: (view, event, envelope) => view.update(event.data.owner, (o) => ({ accounts: [...(o?.accounts ?? []), envelope.id] })),
  },
});

let servers: string;
let stream: string;
let prefix: string;
let dataDir: string;
let app: NatsApp;
let nc: NatsConnection;
let views: ViewClient;
let seq = 0;

const deposit = (id: string, amount = 1) =>
  app.send({ type: 'Deposit', aggregate: 'Account', id, payload: { amount }, commandId: `dep-${id}-${++seq}` });

async function open(id: string, owner = `owner of ${id}`): Promise<number> {
  const r = await app.send({ type: 'OpenAccount', aggregate: 'Account', id, payload: { owner }, commandId: `open-${id}` });
  if (!r.ok) throw new Error(r.error.message);
  return r.position;
}

async function lastPosition(results: Promise<{ ok: boolean; position?: number }>[]): Promise<number> {
  return Math.max(...(await Promise.all(results)).map((r) => (r.ok ? r.position! : 0)));
}

// What a remote copy of the view holds after applying changes in order.
function follow(copy: Map<string, unknown>) {
  return (c: ViewChange) => (c.value === null ? copy.delete(c.key) : copy.set(c.key, c.value));
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  servers = sharedNatsUrl();
  stream = uniqueName('VIEWS');
  prefix = stream.toLowerCase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-'));
  app = await createApp({ engine: 'nats', servers, stream, prefix, dataDir, aggregates: [Account], projections: [AccountBalance, Owners] });
  nc = await connect({ servers });
  views = createViewClient({ nc, prefix, timeout: 2000 });
});

afterAll(async () => {
  await app?.close();
  if (nc) {
    const jsm = await jetstreamManager(nc);
    for (const name of [stream, `${stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('view changes over NATS', () => {
  it('publishes each change on <prefix>.view.<projection>.<key>, keys that are not tokens encoded, the real key in the body', async () => {
    const raw: Msg[] = [];
    const sub = nc.subscribe(`${prefix}.view.>`, { callback: (_err, msg) => void raw.push(msg) });
    await nc.flush();
    const opened = await open('pub-1', 'Ada Lovelace. Jr');
    const r = await deposit('pub-1', 250);
    await until(() => raw.length === 3, 'three changes');
    sub.unsubscribe();
    // Each projection publishes in position order; two projections run independently, so only
    // the order within each projection is defined.
    const ownerKey = `${prefix}.view.Owners.~${Buffer.from('Ada Lovelace. Jr').toString('base64url')}`;
    expect(raw.filter((m) => m.subject.includes('.view.AccountBalance.')).map((m) => m.subject)).toEqual([
      `${prefix}.view.AccountBalance.pub-1`,
      `${prefix}.view.AccountBalance.pub-1`,
    ]);
    const owner = raw.filter((m) => m.subject.includes('.view.Owners.'));
    expect(owner.map((m) => m.subject)).toEqual([ownerKey]);
    expect(owner[0]!.subject).toBe(`${prefix}.view.Owners.${encodeViewKey('Ada Lovelace. Jr')}`);
    expect(decode(owner[0]!.data)).toEqual({ projection: 'Owners', key: 'Ada Lovelace. Jr', value: { accounts: ['pub-1'] }, position: opened });
    const balances = raw.filter((m) => m.subject.includes('.view.AccountBalance.'));
    expect(decode(balances[1]!.data)).toMatchObject({ projection: 'AccountBalance', key: 'pub-1', value: { balance: 250 }, position: r.ok && r.position });
  });

  it('a remote watcher sees every change once, in position order, exactly as the local change stream', async () => {
    const local: ViewChange[] = [];
    const remote: ViewChange[] = [];
    const onOwner: ViewChange[] = [];
    const subs: Subscription[] = [
      app.projection(AccountBalance).changes$.subscribe((c) => local.push(c)),
      views.watch(AccountBalance).subscribe((c) => remote.push(c)),
      views.watch(Owners, 'Grace H.').subscribe((c) => onOwner.push(c)),
    ];
    await nc.flush();
    await Promise.all(['w-1', 'w-2', 'w-3'].map((id) => open(id, 'Grace H.')));
    const last = await lastPosition(Array.from({ length: 120 }, (_, i) => deposit(`w-${1 + (i % 3)}`)));
    await app.projection(AccountBalance).waitFor(last);
    await until(() => remote.length === local.length && onOwner.length === 3, 'the remote changes');
    for (const s of subs) s.unsubscribe();
    expect(local.length).toBe(123);
    expect(remote).toEqual(local);
    for (let i = 1; i < remote.length; i++) expect(remote[i]!.position).toBeGreaterThan(remote[i - 1]!.position);
    expect(onOwner.map((c) => (c.value as { accounts: string[] }).accounts.length)).toEqual([1, 2, 3]);
    expect(new Set(onOwner.map((c) => c.key))).toEqual(new Set(['Grace H.']));
  });

  it('a watcher resuming from a position while commands flow ends with an exact copy, no gap, no duplicate', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `r-${i}`);
    await Promise.all(ids.map((id) => open(id)));
    let writing = true;
    const writer = (async () => {
      let last = 0;
      for (let round = 0; round < 40; round++) last = Math.max(last, await lastPosition(ids.map((id) => deposit(id, round + 1))));
      writing = false;
      return last;
    })();
    // Subscribes several times while the writer runs: each from the start (state replay, then live)
    // or from where a previous subscription stopped.
    const copy = new Map<string, unknown>();
    let seen = 0;
    const rounds: ViewChange[][] = [];
    while (writing) {
      const got: ViewChange[] = [];
      const sub = views.watch(AccountBalance, undefined, { fromPosition: seen + 1 }).subscribe((c) => {
        got.push(c);
        follow(copy)(c);
        seen = c.position;
      });
      await new Promise((r) => setTimeout(r, 15));
      sub.unsubscribe();
      rounds.push(got);
    }
    const last = await writer;
    await app.projection(AccountBalance).waitFor(last);
    const final = views.watch(AccountBalance, undefined, { fromPosition: seen + 1 }).subscribe((c) => {
      follow(copy)(c);
      seen = c.position;
    });
    await until(() => seen >= last, `the watcher to reach position ${last}`);
    final.unsubscribe();
    expect(rounds.length).toBeGreaterThan(2);
    // Every commit of this stream changes one account: after a replay (all at one position), the
    // live changes of a round are consecutive positions. A lost or repeated change breaks that.
    for (const got of rounds) {
      const first = got.filter((c) => c.position === got[0]!.position);
      expect(new Set(first.map((c) => c.key)).size).toBe(first.length);
      const live = got.filter((c) => c.position > got[0]!.position);
      live.forEach((c, i) => expect(c.position).toBe(got[0]!.position + 1 + i));
    }
    const view = new Map((await app.projection(AccountBalance).entries()).map((e) => [e.key, e.value]));
    expect(copy).toEqual(view);
    expect((view.get('r-0') as AccountBalanceRow).balance).toBe((40 * 41) / 2);
  });

  it('resuming one key replays its value (null when absent), or nothing when nothing was missed', async () => {
    const p = await open('k-1');
    await app.projection(AccountBalance).waitFor(p);
    const replay = await firstValueFrom(views.watch(AccountBalance, 'k-1', { fromPosition: 1 }));
    expect(replay).toMatchObject({ projection: 'AccountBalance', key: 'k-1', value: { balance: 0 } });
    expect(replay.position).toBeGreaterThanOrEqual(p);
    expect(await firstValueFrom(views.watch(AccountBalance, 'nobody', { fromPosition: 1 }))).toMatchObject({ key: 'nobody', value: null });

    const head = await app.log.headPosition();
    const got: ViewChange[] = [];
    const sub = views.watch(AccountBalance, 'k-1', { fromPosition: head + 1 }).subscribe((c) => got.push(c));
    await nc.flush();
    await new Promise((r) => setTimeout(r, 50));
    const r = await deposit('k-1', 7);
    await until(() => got.length === 1, 'the live change');
    sub.unsubscribe();
    expect(got).toEqual([{ projection: 'AccountBalance', key: 'k-1', value: expect.objectContaining({ balance: 7 }), position: r.ok && r.position }]);
  });
});

describe('read requests to a read node', () => {
  it('get with minPosition reads a write just made; a position never reached times out', async () => {
    await open('g-1');
    for (let i = 1; i <= 20; i++) {
      const r = await deposit('g-1', 10);
      if (!r.ok) throw new Error(r.error.message);
      expect((await views.get<AccountBalanceRow>(AccountBalance, 'g-1', { minPosition: r.position }))?.balance).toBe(10 * i);
    }
    expect(await views.get(AccountBalance, 'nobody')).toBeUndefined();
    const far = (await app.log.headPosition()) + 1000;
    const err = await views.get(AccountBalance, 'g-1', { minPosition: far, timeout: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(new RegExp(`projection AccountBalance did not reach position ${far} within 100 ms`));
  });

  it('status and rebuild reach every read node', async () => {
    const [node] = await views.statuses();
    expect(node!.node).toBe(app.viewService!.node);
    expect(node!.projections.map((p) => [p.name, p.state])).toEqual([['AccountBalance', 'running'], ['Owners', 'running']]);
    const before = await app.projection(AccountBalance).entries();
    const progress: number[] = [];
    const outcomes = await views.rebuild('AccountBalance', { onProgress: (p) => progress.push(p.position) });
    expect(outcomes).toMatchObject([{ node: app.viewService!.node, ok: true, result: { projection: 'AccountBalance', generation: 2 } }]);
    expect(await app.projection(AccountBalance).entries()).toEqual(before);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1]!);
  });

  it('bad requests get an error reply and the service goes on', async () => {
    const ask = async (data: Uint8Array) => decode((await nc.request(`${prefix}.views.query.AccountBalance`, data, { timeout: 2000 })).data);
    expect(await ask(new Uint8Array([0xc1]))).toMatchObject({ ok: false, error: { code: 'bad_encoding' } });
    expect(await ask(encode({ kee: 'x' }))).toMatchObject({ ok: false, error: { code: 'invalid', details: { field: 'kee' } } });
    expect(await ask(encode({ minPosition: -1 }))).toMatchObject({ ok: false, error: { code: 'invalid', details: { field: 'minPosition' } } });
    expect(await ask(encode({ key: 'g-1' }))).toMatchObject({ ok: true, last: true, entries: [{ key: 'g-1' }] });
  });

  it('without a read node: NotFoundError for what needs one, no statuses', async () => {
    const nobody = createViewClient({ nc, prefix: `${prefix}-none`, timeout: 1000 });
    await expect(firstValueFrom(nobody.watch('AccountBalance', 'a', { fromPosition: 1 }))).rejects.toThrow(NotFoundError);
    await expect(nobody.get('AccountBalance', 'a')).rejects.toThrow(/no read node hosts projection AccountBalance/);
    await expect(nobody.rebuild('AccountBalance')).rejects.toThrow(NotFoundError);
    expect(await nobody.statuses()).toEqual([]);
  });
});
