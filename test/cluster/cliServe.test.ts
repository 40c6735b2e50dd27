import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandClient } from '../../src/commands/commandClient.js';
import { startNatsCluster, type NatsCluster } from '../support/natsCluster.js';
import { startNatsServer } from '../support/natsServer.js';
import { runCli, tributaryBin } from '../support/runCli.js';
import { uniqueName } from '../support/sharedNats.js';

let cluster: NatsCluster;
let nc: NatsConnection;
const children: ChildProcess[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
  nc = await connect({ servers: cluster.urls });
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await nc?.close();
  await cluster?.dispose();
});

/** Starts `tributary serve` and resolves once it is ready, with its output so far (and onwards). */
async function serve(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [tributaryBin, 'serve', ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 30_000;
  while (!out.includes('tributary serve is ready')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`tributary serve did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out };
}

describe('tributary serve on a 3-node cluster', () => {
  it('runs with --replicas 3, and a node asking for other settings is told which differs and how to match it', async () => {
    const stream = uniqueName('CLI');
    const prefix = stream.toLowerCase();
    const env = { NATS_URL: cluster.urls.join(',') };
    const { child, output } = await serve(['--stream', stream, '--prefix', prefix, '--replicas', '3', '--duplicate-window', '5m'], env);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    expect(info.config.num_replicas).toBe(3);
    expect(info.config.duplicate_window).toBe(300_000 * 1e6);
    const client = createCommandClient({ nc, prefix, timeout: 10_000 });
    expect(await client.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' }, commandId: 'open-a-1' })).toMatchObject({
      ok: true,
      version: 1,
    });
    await client.close();

    const other = await runCli(['serve', '--stream', stream, '--prefix', prefix], { ...process.env, ...env, LOG_LEVEL: 'info', TRIBUTARY_DUPLICATE_WINDOW: '5m' });
    expect(other.code).toBe(1);
    expect(other.stdout + other.stderr).toMatch(/num_replicas is 3, expected 1: to use the stream as it is, set replicas: 3 \(serve --replicas 3/);

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, output()).toBe(0);
  });
});

describe('tributary serve shutdown', () => {
  it('ends within --shutdown-timeout when nats-server is unreachable, logging what it left unanswered', async () => {
    const server = await startNatsServer();
    try {
      const stream = uniqueName('DOWN');
      const { child, output } = await serve(['--stream', stream, '--prefix', stream.toLowerCase(), '--shutdown-timeout', '2s'], { NATS_URL: server.url });
      const sender = await connect({ servers: server.url });
      // Commands in flight when the server goes away: their appends can never be acknowledged.
      for (let i = 0; i < 20; i++) {
        sender.publish(`${stream.toLowerCase()}.cmd.Account.a-${i}`, new TextEncoder().encode(JSON.stringify({ type: 'OpenAccount', payload: { owner: 'x' } })), {
          reply: `_INBOX.gone.${i}`,
        });
      }
      await sender.flush();
      await sender.close();
      await server.stop();
      const started = Date.now();
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      const took = Date.now() - started;
      console.info(`shutdown with the server down took ${took} ms, exit code ${code}`);
      expect(took, output()).toBeLessThan(2000 + 3000);
      expect(output()).toMatch(/shutting down/);
      // Either it managed to close in time, or it said what it gave up on.
      expect(code === 0 ? /"msg":"stopped"/ : /shutdown deadline passed/).toSatisfy((re: RegExp) => re.test(output()));
    } finally {
      await server.dispose();
    }
  });
});
