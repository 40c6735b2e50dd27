import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { SHARDS, rendezvousOwner, shardOf } from '../../src/commands/shardOwnership.js';
import { createApp, type NatsApp } from '../../src/createApp.js';
import { startOpsServer, type OpsServer } from '../../src/observability/opsServer.js';
import { scrape } from '../support/scrape.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

const stream = uniqueName('SHARDM');
const running: Array<{ app: NatsApp; ops: OpsServer }> = [];

afterAll(async () => {
  for (const { app, ops } of running) {
    await ops.close();
    await app.close();
  }
  const first = running[0]?.app;
  if (first && !first.log.connection.isClosed()) {
    const jsm = await jetstreamManager(first.log.connection);
    for (const name of [stream, `${stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function node(nodeId: string): Promise<{ app: NatsApp; ops: OpsServer }> {
  const app = await createApp({
    engine: 'nats',
    servers: sharedNatsUrl(),
    stream,
    prefix: stream.toLowerCase(),
    aggregates: [Account],
    ownership: { nodeId, heartbeatMs: 100 },
  });
  const ops = await startOpsServer({ app, listen: '127.0.0.1:0' });
  const started = { app, ops };
  running.push(started);
  return started;
}

const account = { aggregate: 'Account' };

// The first `sample` event of the dashboard's live feed.
async function liveSample(url: string): Promise<{ shards: Array<Record<string, unknown>> }> {
  const abort = new AbortController();
  const res = await fetch(`${url}/events`, { signal: abort.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the live feed ended before a sample');
      text += decoder.decode(value, { stream: true });
      const frame = /event: sample\ndata: (.*)\n\n/.exec(text);
      if (frame) return JSON.parse(frame[1]!) as { shards: Array<Record<string, unknown>> };
    }
  } finally {
    abort.abort();
  }
}

describe('shard ownership metrics, two write nodes on a real nats-server', () => {
  it('count shards owned, live nodes, forwarded commands and the shards each rebalance moves', async () => {
    const a = await node('node-a');
    let m = await scrape(a.ops.url);
    expect(m.value('tributary_shards_owned', account)).toBe(SHARDS);
    expect(m.value('tributary_write_nodes', account)).toBe(1);

    const b = await node('node-b');
    await until(async () => (await scrape(a.ops.url)).value('tributary_write_nodes', account) === 2, 'node-a to see node-b');
    await until(async () => (await scrape(b.ops.url)).value('tributary_write_nodes', account) === 2, 'node-b to see node-a');
    const members = ['node-a', 'node-b'];
    const ownedByA = Array.from({ length: SHARDS }, (_, s) => rendezvousOwner('Account', s, members)).filter((o) => o === 'node-a').length;
    m = await scrape(a.ops.url);
    const mb = await scrape(b.ops.url);
    expect(m.value('tributary_shards_owned', account)).toBe(ownedByA);
    expect(mb.value('tributary_shards_owned', account)).toBe(SHARDS - ownedByA);
    expect(ownedByA).toBeGreaterThan(0);
    expect(ownedByA).toBeLessThan(SHARDS);
    expect(m.value('tributary_ownership_changes_total', { reason: 'joined' })).toBe(1);
    // node-a owned every shard before node-b joined: the join took node-b's share from it.
    expect(m.value('tributary_shards_moved_total', { ...account, direction: 'lost' })).toBe(SHARDS - ownedByA);
    expect(m.value('tributary_shards_moved_total', { ...account, direction: 'gained' })).toBe(0);

    // The queue group hands each command to either node; a node that does not own it forwards it.
    const ids = Array.from({ length: 200 }, (_, i) => `sm-${i}`);
    const results = await Promise.all(ids.map((id) => a.app.remote.send({ type: 'OpenAccount', aggregate: 'Account', id, payload: { owner: id } })));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const runOnA = ids.filter((id) => rendezvousOwner('Account', shardOf('Account', id), members) === 'node-a').length;
    m = await scrape(a.ops.url);
    const mb2 = await scrape(b.ops.url);
    // Every command ran on its owner, forwarded or not.
    expect(m.value('tributary_commands_total', { ...account, code: 'ok' })).toBe(runOnA);
    expect(mb2.value('tributary_commands_total', { ...account, code: 'ok' })).toBe(ids.length - runOnA);
    const forwardedByA = m.value('tributary_commands_forwarded_total', account);
    const forwardedByB = mb2.value('tributary_commands_forwarded_total', account);
    // A node forwards only what the other owns; with 200 commands spread at random, some were.
    expect(forwardedByA).toBeLessThanOrEqual(ids.length - runOnA);
    expect(forwardedByB).toBeLessThanOrEqual(runOnA);
    expect(forwardedByA + forwardedByB).toBeGreaterThan(0);
    // The dashboard's feed carries the same figures for its shard table.
    expect((await liveSample(a.ops.url)).shards).toEqual([{ aggregate: 'Account', owned: ownedByA, nodes: 2, forwarded: forwardedByA }]);

    // node-b leaves gracefully: node-a takes its shards back at once.
    await b.ops.close();
    await b.app.close();
    running.splice(running.indexOf(b), 1);
    await until(async () => (await scrape(a.ops.url)).value('tributary_write_nodes', account) === 1, 'node-a to see node-b leave');
    m = await scrape(a.ops.url);
    expect(m.value('tributary_shards_owned', account)).toBe(SHARDS);
    expect(m.value('tributary_ownership_changes_total', { reason: 'left' })).toBe(1);
    expect(m.value('tributary_shards_moved_total', { ...account, direction: 'gained' })).toBe(SHARDS - ownedByA);
  });
});
