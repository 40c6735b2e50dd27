import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { AccountBalance } from '../../projections/index.js';
import { createApp, type NatsApp } from '../../src/createApp.js';
import { connectNats } from '../../src/eventLog/nats/connectNats.js';
import type { ViewChange } from '../../src/projection/projection.js';
import { createViewClient } from '../../src/views/viewClient.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';

// This file restarts its server, so it runs its own instead of the shared one.
let server: NatsServer;
let app: NatsApp;
let watcherConnection: NatsConnection;
let dataDir: string;

beforeAll(async () => {
  server = await startNatsServer();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-'));
  app = await createApp({ engine: 'nats', servers: server.url, reconnectTimeWait: 50, dataDir, aggregates: [Account], projections: [AccountBalance] });
  // The watcher comes back well after the read node: what the node publishes in between is lost
  // to the subscription and must come back through the state replay.
  watcherConnection = await connectNats({ servers: server.url, reconnectTimeWait: 1500 });
});

afterAll(async () => {
  await app?.close();
  await watcherConnection?.close();
  await server?.dispose();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a resumable watcher across a nats-server restart', () => {
  it('misses nothing that was published while it was disconnected', async () => {
    const views = createViewClient({ nc: watcherConnection, timeout: 3000 });
    const copy = new Map<string, unknown>();
    const got: ViewChange[] = [];
    const sub = views.watch(AccountBalance, undefined, { fromPosition: 1 }).subscribe((c) => {
      got.push(c);
      if (c.value === null) copy.delete(c.key);
      else copy.set(c.key, c.value);
    });
    const send = async (id: string, type: string, payload: unknown) => {
      for (;;) {
        const r = await app.send({ type, aggregate: 'Account', id, payload, commandId: `${type}-${id}-${JSON.stringify(payload)}` });
        if (r.ok) return r.position;
        await sleep(50); // the log is reconnecting
      }
    };
    for (let i = 0; i < 5; i++) await send(`a-${i}`, 'OpenAccount', { owner: `o${i}` });
    await server.restart();
    // The read node is back (it reconnects every 50 ms); the watcher is not yet.
    let last = 0;
    for (let i = 0; i < 40; i++) last = await send(`a-${i % 5}`, 'Deposit', { amount: i + 1 });
    expect(watcherConnection.isClosed()).toBe(false);
    const deadline = Date.now() + 10_000;
    while ((got.at(-1)?.position ?? 0) < last && Date.now() < deadline) await sleep(20);
    sub.unsubscribe();
    expect(got.at(-1)?.position).toBe(last);
    const view = new Map((await app.projection(AccountBalance).entries()).map((e) => [e.key, e.value]));
    expect(copy).toEqual(view);
    for (let i = 1; i < got.length; i++) expect(got[i]!.position).toBeGreaterThanOrEqual(got[i - 1]!.position);
  });
});
