import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { createCommandClient, type CommandClient } from '../../src/commands/commandClient.js';
import { createApp, type NatsApp } from '../../src/createApp.js';
import { createNatsEventLog } from '../../src/eventLog/nats/createNatsEventLog.js';
import { checkAccountHistory, record, type SentCommands } from '../support/accountHistory.js';
import { startNatsCluster, type NatsCluster } from '../support/natsCluster.js';
import { uniqueName } from '../support/sharedNats.js';
import { longestGap, runLoad, slowestResume, throughput } from './support/load.js';
import { startWriteNode } from './support/writeNodes.js';

// Failures under load on a 3-node cluster with an R3 stream. The figures are logged for the
// record; the assertions are loose (the machine is shared and noisy), the tight ones are the bench's.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: NatsCluster;
let client: NatsConnection;

beforeAll(async () => {
  cluster = await startNatsCluster();
  client = await connect({ servers: cluster.urls[2], noRandomize: true });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cluster?.dispose();
});

const accounts = (n: number) => Array.from({ length: n }, (_, i) => `acc-${i}`);

function errorCodes(sent: SentCommands): Record<string, number> {
  const codes: Record<string, number> = {};
  for (const { answers } of sent.values()) for (const a of answers) if (!a.ok) codes[a.error.code] = (codes[a.error.code] ?? 0) + 1;
  return codes;
}

async function openAccounts(remote: CommandClient, ids: readonly string[]): Promise<SentCommands> {
  const sent: SentCommands = new Map();
  for (const id of ids) {
    const command = { type: 'OpenAccount', aggregate: 'Account', id, payload: { owner: id }, commandId: `open-${id}` };
    const r = await remote.send(command);
    expect(r).toMatchObject({ ok: true });
    record(sent, command, r);
  }
  return sent;
}

describe('failures under load on a clustered R3 stream', () => {
  it('kill -9 of a write node: the other takes over its aggregates, and no acknowledged command is lost', async () => {
    const stream = uniqueName('KILL');
    const prefix = stream.toLowerCase();
    const a = await startWriteNode({ servers: [cluster.urls[0]!], stream, replicas: 3 });
    const b = await startWriteNode({ servers: [cluster.urls[1]!], stream, replicas: 3 });
    const remote = createCommandClient({ nc: client, prefix, timeout: 2000 });
    const ids = accounts(40);
    const opened = await openAccounts(remote, ids);

    const start = Date.now();
    const load = runLoad(remote, ids, { workers: 40, attemptTimeout: 2000, giveUpMs: 20_000, tag: 'k' });
    await sleep(2000);
    const killedAt = Date.now();
    await a.kill('SIGKILL');
    await sleep(6000);
    const result = await load.stop();
    const takeover = slowestResume(result.okByAccount, killedAt);
    console.info(
      `kill -9 of a write node: takeover ${takeover} ms; ok/500 ms: ${throughput(result.okTimes, start, 500).join(' ')}; ` +
        `errors: ${JSON.stringify(errorCodes(result.sent))}`,
    );

    expect(result.gaveUp).toBe(0);
    // The lease is 1.5 s in these nodes; allow for a loaded machine.
    expect(takeover).toBeLessThan(8000);
    const log = await createNatsEventLog({ servers: cluster.urls[2], stream, prefix, replicas: 3 });
    const balances = await checkAccountHistory(log, new Map([...opened, ...result.sent]));
    const acked = [...result.sent.values()].filter((s) => s.answers.at(-1)?.ok).length;
    expect([...balances.values()].reduce((s, v) => s + v, 0)).toBe(acked);
    await log.close();
    await b.kill('SIGTERM');
    await remote.close();
  }, 90_000);

  it('kill of the stream leader: commands succeed again after the election, and no acknowledged command is lost', async () => {
    const stream = uniqueName('LEAD');
    const prefix = stream.toLowerCase();
    const nodes: NatsApp[] = [];
    for (const url of [cluster.urls[0]!, cluster.urls[1]!]) {
      nodes.push(await createApp({ engine: 'nats', servers: url, stream, prefix, replicas: 3, aggregates: [Account] }));
    }
    const remote = createCommandClient({ nc: client, prefix, timeout: 2000 });
    const ids = accounts(40);
    const opened = await openAccounts(remote, ids);

    const jsm = await jetstreamManager(client);
    // The client enters at the third server: move the stream's leadership off it, so that the
    // node killed is the leader. (Killing a follower instead showed as a 5 s stall until reads
    // stopped needing consumers, see natsReadStream.)
    let leaderName = (await jsm.streams.info(stream)).cluster?.leader;
    const clientServer = cluster.nodes.find((n) => n.url === cluster.urls[2])!.name;
    for (let i = 0; i < 10 && (leaderName === undefined || leaderName === clientServer); i++) {
      await client.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5000 }).catch(() => undefined);
      await sleep(1000);
      leaderName = (await jsm.streams.info(stream)).cluster?.leader;
    }
    const leader = cluster.nodes.find((n) => n.name === leaderName);
    expect(leader, `the stream leader (${leaderName}) is a server the client does not use`).toBeDefined();
    expect(leader!.url).not.toBe(cluster.urls[2]);

    const start = Date.now();
    const load = runLoad(remote, ids, { workers: 40, attemptTimeout: 2000, giveUpMs: 30_000, tag: 'l' });
    await sleep(2000);
    const killedAt = Date.now();
    await leader!.kill();
    await sleep(8000);
    const restartedAt = Date.now();
    await leader!.start();
    await sleep(4000);
    const result = await load.stop();
    const buckets = throughput(result.okTimes, start, 500);
    const outage = longestGap(result.okTimes, killedAt);
    console.info(
      `stream leader ${leader!.name} killed at +${killedAt - start} ms, restarted at +${restartedAt - start} ms: ` +
        `longest gap ${outage} ms; ok/500 ms: ${buckets.join(' ')}; errors: ${JSON.stringify(errorCodes(result.sent))}`,
    );
    expect(result.gaveUp).toBe(0);
    // Loose (a shared 2-core machine; the election alone takes 5–10 s on 2.9.10, and 19–28 s
    // gaps were seen with another test file sharing the cores): commands flow again, at the
    // latest after the node is back; the tight figures are the bench's.
    expect(outage).toBeLessThan(45_000);
    const after = result.okTimes.filter((t) => t > restartedAt + 1000).length;
    expect(after, 'acknowledged after the node rejoined').toBeGreaterThan(0);
    // Loose too: 3-4 s after the rejoin (the last bucket is cut short by the stop), commands flow
    // at a quarter of the rate before the kill. Reloads that waited out consumer creations during
    // the election kept it near 0 there.
    const steady = (buckets[1]! + buckets[2]! + buckets[3]!) / 3;
    const settled = (buckets.at(-3)! + buckets.at(-2)!) / 2;
    expect(settled, `ok/500 ms 3-4 s after the rejoin, against ${steady.toFixed(0)} before`).toBeGreaterThanOrEqual(0.25 * steady);
    const balances = await checkAccountHistory(nodes[0]!.log, new Map([...opened, ...result.sent]));
    const acked = [...result.sent.values()].filter((s) => s.answers.at(-1)?.ok).length;
    expect([...balances.values()].reduce((s, v) => s + v, 0)).toBe(acked);
    await Promise.all(nodes.map((n) => n.close()));
    await remote.close();
  }, 120_000);
});
