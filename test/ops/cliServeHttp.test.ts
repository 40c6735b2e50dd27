import { createServer, type AddressInfo } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { tempDir } from '../projection/support.js';
import { runCli, tributaryBin } from '../support/runCli.js';
import { scrape } from '../support/scrape.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

type Node = { child: ChildProcess; output: () => string; url: string };

let servers: string;
let nc: NatsConnection;
let stream: string;
let prefix: string;
let dir: ReturnType<typeof tempDir>;
const nodes: Node[] = [];

const env = (): NodeJS.ProcessEnv => ({ ...process.env, NATS_URL: servers, LOG_LEVEL: 'info', LOG_FORMAT: 'json' });

async function startServe(...args: string[]): Promise<Node> {
  const child = spawn(process.execPath, [tributaryBin, 'serve', '--stream', stream, '--prefix', prefix, '--http', '127.0.0.1:0', ...args], {
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!(url && output.includes('tributary serve is ready'))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`tributary serve did not start:\n${output}`);
    url = /operations endpoints on (http:\/\/[^ "]+)/.exec(output)?.[1];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const node = { child, output: () => output, url };
  nodes.push(node);
  return node;
}

beforeAll(async () => {
  servers = sharedNatsUrl();
  nc = await connect({ servers });
  stream = uniqueName('OPS');
  prefix = stream.toLowerCase();
  dir = tempDir();
});

afterAll(async () => {
  for (const { child } of nodes) if (child.exitCode === null) child.kill('SIGKILL');
  if (nc) {
    const jsm = await jetstreamManager(nc);
    for (const name of [stream, `${stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  }
  dir?.cleanup();
});

describe('tributary serve --http', () => {
  // Each CLI start compiles TypeScript through tsx: slow on a loaded machine.
  it('exposes metrics, probes and the dashboard on the write and the read role', { timeout: 90_000 }, async () => {
    const [writer, reader] = await Promise.all([startServe('--role', 'write'), startServe('--role', 'read', '--data-dir', dir.dir)]);
    const sent = await runCli(['send', 'Account', 'h-1', 'OpenAccount', '{"owner":"Ada"}', '--prefix', prefix], env());
    expect(sent.code, sent.stderr).toBe(0);
    const { position } = JSON.parse(sent.stdout) as { position: number };

    const w = await scrape(writer.url);
    expect(w.value('tributary_commands_total', { aggregate: 'Account', type: 'OpenAccount', code: 'ok' })).toBe(1);
    expect(w.names).toContain('process_cpu_seconds_total');
    expect(w.value('tributary_nats_connected')).toBe(1);

    const deadline = Date.now() + 10_000;
    while ((await scrape(reader.url)).value('tributary_projection_position', { projection: 'AccountBalance' }) < position) {
      if (Date.now() > deadline) throw new Error('the read node did not project the command');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const r = await scrape(reader.url);
    expect(r.labels('tributary_projection_lag_commits').map((l) => l.projection)).toContain('OrderSummary');
    for (const node of [writer, reader]) {
      expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${node.url}/`)).text()).toMatch(/<title>Tributary<\/title>/);
    }

    writer.child.kill('SIGTERM');
    const [code] = (await once(writer.child, 'exit')) as [number | null];
    expect(code, writer.output()).toBe(0);
  });

  it('refuses a bad --http value and a port in use with a clear message and exit code 1', { timeout: 90_000 }, async () => {
    // A port held by a plain listener: in use, whoever holds it.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    onTestFinished(() => void holder.close());
    const [bad, busy] = await Promise.all([
      runCli(['serve', '--http', 'localhost'], env()),
      runCli(['serve', '--stream', stream, '--prefix', prefix, '--http', `127.0.0.1:${port}`], env()),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--http "localhost" is not a listen address: expected <host:port>/);
    expect(busy.code).toBe(1);
    expect(busy.stdout + busy.stderr).toMatch(/the port is in use/);
  });
});
