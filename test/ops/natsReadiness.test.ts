import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { AccountBalance } from '../../projections/index.js';
import { createApp, type NatsApp } from '../../src/createApp.js';
import { startOpsServer, type OpsServer } from '../../src/observability/opsServer.js';
import { tempDir } from '../projection/support.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';
import { scrape } from '../support/scrape.js';

// This file stops and restarts its server, so it runs its own instead of the shared one.
let server: NatsServer;
let dir: ReturnType<typeof tempDir>;
let app: NatsApp;
let ops: OpsServer;

beforeAll(async () => {
  server = await startNatsServer();
  dir = tempDir();
  app = await createApp({
    engine: 'nats',
    servers: server.url,
    reconnectTimeWait: 100,
    aggregates: [Account],
    projections: [AccountBalance],
    dataDir: dir.dir,
  });
  ops = await startOpsServer({ app, listen: '127.0.0.1:0' });
});

afterAll(async () => {
  await ops?.close();
  await app?.close();
  await server?.dispose();
  dir?.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls /readyz (each request bounded, so a hanging probe fails the test) until it answers `status`.
async function readyzUntil(status: number, timeoutMs = 15_000): Promise<{ ready: boolean; reasons: string[]; nats?: { connected: boolean } }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${ops.url}/readyz`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { ready: boolean; reasons: string[] };
    if (res.status === status) return body;
    if (Date.now() > deadline) throw new Error(`/readyz still answers ${res.status}: ${JSON.stringify(body)}`);
    await sleep(100);
  }
}

describe('/readyz on the NATS engine', () => {
  it('flips to 503 while nats-server is down and back to 200 after it restarts', async () => {
    const opened = await app.remote.send({ type: 'OpenAccount', aggregate: 'Account', id: 'r-1', payload: { owner: 'Ada' }, commandId: 'open-r-1' });
    expect(opened.ok).toBe(true);
    await readyzUntil(200);
    expect((await scrape(ops.url)).value('tributary_nats_connected')).toBe(1);

    await server.stop();
    const down = await readyzUntil(503);
    expect(down.reasons).toContain('NATS is disconnected');
    expect(down.nats?.connected).toBe(false);
    const during = await scrape(ops.url);
    expect(during.value('tributary_nats_connected')).toBe(0);
    // The dashboard's page and liveness do not depend on NATS.
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);

    await server.restart();
    const up = await readyzUntil(200);
    expect(up.reasons).toEqual([]);
    const after = await scrape(ops.url);
    expect(after.value('tributary_nats_connected')).toBe(1);
    expect(after.value('tributary_nats_reconnects_total')).toBeGreaterThanOrEqual(1);

    const deposited = await app.remote.send({ type: 'Deposit', aggregate: 'Account', id: 'r-1', payload: { amount: 5 }, commandId: 'dep-r-1' });
    expect(deposited.ok).toBe(true);
    const m = await scrape(ops.url);
    expect(m.value('tributary_commands_total', { aggregate: 'Account', code: 'ok' })).toBe(2);
  });

  it('answers 503 once the app is closing', async () => {
    const closing = app.close();
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reasons: string[] }).reasons).toContain('the event log is not open (the app is closing)');
    await closing;
  });
});
