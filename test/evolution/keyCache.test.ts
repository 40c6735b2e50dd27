/**
 * The key cache of the evolving log: bounded LRU, trusted for `keyCacheMs`, evicted by this
 * node's forget at once; another handle's (process's) forget is seen once the entry is stale,
 * by reads at once and by writes after one background re-read of the store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Customer } from '../../actors/index.js';
import { createEventCatalog } from '../../src/evolution/eventCatalog.js';
import { createEvolvingLog, type EvolvingLog } from '../../src/evolution/evolvingLog.js';
import { createKeyCache } from '../../src/evolution/keyCache.js';
import type { KeyStore } from '../../src/evolution/keyStore.js';
import { createLmdbKeyStore } from '../../src/evolution/lmdbKeyStore.js';
import { newSubjectKey } from '../../src/evolution/sealFields.js';
import { createLmdbEventLog } from '../../src/eventLog/lmdb/createLmdbEventLog.js';
import type { EventLog } from '../../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createKeyCache', () => {
  it('evicts the least recently used subject past its bound', () => {
    const cache = createKeyCache({ ttlMs: 60_000, max: 2 });
    const [a, b, c] = [newSubjectKey(), newSubjectKey(), newSubjectKey()];
    cache.remember('a', a, cache.epoch());
    cache.remember('b', b, cache.epoch());
    expect(cache.fresh('a')?.key).toBe(a); // a is now the most recently used
    cache.remember('c', c, cache.epoch());
    expect(cache.last('b')).toBeUndefined();
    expect(cache.fresh('a')?.key).toBe(a);
    expect(cache.fresh('c')?.key).toBe(c);
  });

  it('trusts an entry for ttlMs; a lookup that raced a forget is not cached; forgotten reads as no key', async () => {
    const cache = createKeyCache({ ttlMs: 20, max: 10 });
    const a = newSubjectKey();
    cache.remember('a', a, cache.epoch());
    await sleep(30);
    expect(cache.fresh('a')).toBeUndefined();
    expect(cache.last('a')?.key).toBe(a);

    const since = cache.epoch();
    cache.forgotten('x');
    cache.remember('a', newSubjectKey(), since); // read before the forget: may predate the delete
    expect(cache.fresh('a')).toBeUndefined();

    cache.remember('a', a, cache.epoch());
    cache.forgotten('a');
    expect(cache.fresh('a')).toEqual({ key: undefined, at: expect.any(Number) });
  });

  it('keeps the same key object when the store gives the same key again', () => {
    const cache = createKeyCache({ ttlMs: 60_000, max: 10 });
    const a = newSubjectKey();
    cache.remember('a', a, cache.epoch());
    cache.remember('a', { id: a.id, key: new Uint8Array(a.key) }, cache.epoch());
    expect(cache.fresh('a')?.key).toBe(a);
  });
});

describe('the evolving log and its key cache (embedded)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const Notes = { name: 'Notes', events: { Noted: z.object({ owner: z.string(), note: z.string() }) }, personal: { Noted: { subject: 'owner', fields: ['note'] } } };

  async function open(keyCacheMs: number, catalog = createEventCatalog([Customer])): Promise<{ log: EvolvingLog; other: KeyStore; raw: EventLog }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-keycache-'));
    const raw = await createLmdbEventLog({ path: path.join(dir, 'log') });
    const keys = createLmdbKeyStore({ path: path.join(dir, 'keys') });
    // A second handle on the same key store: what another process's forget does.
    const other = createLmdbKeyStore({ path: path.join(dir, 'keys') });
    cleanups.push(async () => {
      await raw.close();
      await keys.close();
      await other.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const log = createEvolvingLog({ log: raw, catalog, keys, keyCacheMs });
    return { log, other, raw };
  }

  let n = 0;
  const register = (log: EventLog, id: string, name: string) =>
    log.append('Customer', id, [{ type: 'CustomerRegistered', data: { name, email: `${name}@example.org` } }], { commandId: `cmd-${++n}` });
  const names = async (log: EventLog, id: string) => (await log.readStream('Customer', id)).map((e) => (e.data as { name: string | null }).name);
  const keyIds = async (raw: EventLog, id: string) => (await raw.readStream('Customer', id)).map((e) => e.sealed?.keyId);

  it("this node's forget evicts the cached key at once, however long keys are trusted", async () => {
    const { log } = await open(60_000);
    await register(log, 'c-1', 'Ada');
    await register(log, 'c-2', 'Grace');
    expect(await names(log, 'c-1')).toEqual(['Ada']);
    await log.forget('c-1');
    expect(await names(log, 'c-1')).toEqual([null]);
    expect(await names(log, 'c-2')).toEqual(['Grace']);
  });

  it("another handle's forget: reads see it once the entry is stale; writes get a new key after one background re-read", async () => {
    const { log, other, raw } = await open(50);
    await register(log, 'c-1', 'Ada');
    expect(await names(log, 'c-1')).toEqual(['Ada']);
    await other.forget('c-1');
    await sleep(80);
    // Reads never use a stale key: the store is asked, and it has none.
    expect(await names(log, 'c-1')).toEqual([null]);

    await register(log, 'c-2', 'Grace');
    const [first] = await keyIds(raw, 'c-2');
    await other.forget('c-2');
    await sleep(80);
    // The write path does not await the store for a stale key: this one still seals with it
    // while the store is asked again; the next one, once the answer is in, gets a new key.
    await register(log, 'c-2', 'Grace2');
    await sleep(20);
    await register(log, 'c-2', 'Grace3');
    const ids = await keyIds(raw, 'c-2');
    expect(ids[0]).toBe(first);
    expect(ids[1]).toBe(first);
    expect(ids[2]).toBeDefined();
    expect(ids[2]).not.toBe(first);
    expect(await names(log, 'c-2')).toEqual([null, null, 'Grace3']);
  });

  it('appends sealed together in one wave fail alone: an event without a subject is refused, the others are written', async () => {
    const { log } = await open(60_000, createEventCatalog([Notes]));
    const note = (owner: string, i: number) => log.append('Notes', `n-${i}`, [{ type: 'Noted', data: { owner, note: `secret ${i}` } }], { commandId: `note-${i}` });
    const results = await Promise.allSettled([note('ada', 1), note('', 2), note('grace', 3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'internal', message: expect.stringMatching(/Noted has personal fields but its subject is ""/) });
    expect((await log.readStream('Notes', 'n-3')).map((e) => (e.data as { note: string }).note)).toEqual(['secret 3']);
    expect(await log.readStream('Notes', 'n-2')).toEqual([]);
  });
});
