import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeyStore } from '../../src/evolution/keyStore.js';
import { createLmdbKeyStore } from '../../src/evolution/lmdbKeyStore.js';
import { createNatsKeyStore } from '../../src/evolution/natsKeyStore.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';
import { ENGINES } from './appHarness.js';

describe.each(ENGINES)('the key store (%s)', (engine) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function open(): Promise<{ store: KeyStore; again: () => Promise<KeyStore> }> {
    if (engine === 'embedded') {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-keys-'));
      cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
      const opened: KeyStore[] = [];
      const make = () => {
        const s = createLmdbKeyStore({ path: dir });
        opened.push(s);
        return s;
      };
      cleanups.push(async () => {
        for (const s of opened) await s.close();
      });
      return { store: make(), again: async () => make() };
    }
    const bucket = uniqueName('KEYS');
    const conns: NatsConnection[] = [];
    const make = async () => {
      const nc = await connect({ servers: sharedNatsUrl() });
      conns.push(nc);
      return createNatsKeyStore({ nc, bucket });
    };
    cleanups.push(async () => {
      await (await jetstreamManager(conns[0]!)).streams.delete(`KV_${bucket}`).catch(() => undefined);
      for (const nc of conns) await nc.close();
    });
    return { store: await make(), again: make };
  }

  it('concurrent getOrCreate calls agree on one key; forget is idempotent; a new key has a new id', async () => {
    const { store, again } = await open();
    const other = await again();
    const keys = await Promise.all([store.getOrCreate('c-1'), other.getOrCreate('c-1'), store.getOrCreate('c-1'), other.getOrCreate('c-1')]);
    expect(new Set(keys.map((k) => k.id)).size).toBe(1);
    expect(Buffer.from(keys[0]!.key).equals(Buffer.from(keys[1]!.key))).toBe(true);
    expect((await store.get('c-1'))?.id).toBe(keys[0]!.id);
    expect(await store.get('nobody')).toBeUndefined();
    // A subject id needs no particular alphabet.
    const odd = await store.getOrCreate('ä/b c.*>');
    expect((await other.get('ä/b c.*>'))?.id).toBe(odd.id);

    await store.forget('c-1');
    await store.forget('c-1');
    expect(await store.get('c-1')).toBeUndefined();
    expect(await other.get('c-1')).toBeUndefined();
    const fresh = await other.getOrCreate('c-1');
    expect(fresh.id).not.toBe(keys[0]!.id);
    expect((await store.get('ä/b c.*>'))?.id).toBe(odd.id); // others untouched
  });
});

describe('the NATS key bucket', () => {
  it("follows the event streams' storage: memory events keep their keys in memory, file events on file", async () => {
    const nc = await connect({ servers: sharedNatsUrl() });
    const jsm = await jetstreamManager(nc);
    try {
      for (const storage of ['memory', 'file'] as const) {
        const bucket = uniqueName('KEYS');
        const store = await createNatsKeyStore({ nc, bucket, storage });
        await store.getOrCreate('c-1');
        expect((await jsm.streams.info(`KV_${bucket}`)).config.storage).toBe(storage);
        await store.close();
        await jsm.streams.delete(`KV_${bucket}`);
      }
    } finally {
      await nc.close();
    }
  });
});
