import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { AccountBalance } from '../../projections/index.js';
import { createCommandClient } from '../../src/commands/commandClient.js';
import { createApp } from '../../src/createApp.js';
import { runCli, tributaryBin, type CliRun } from '../support/runCli.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

const bin = tributaryBin;
const dirs: string[] = [];
const children: ChildProcess[] = [];

type Run = CliRun;

function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NATS_URL;
  delete env.LOG_LEVEL;
  return env;
}

function cli(args: string[], env: NodeJS.ProcessEnv = baseEnv()): Promise<Run> {
  return runCli(args, env);
}

// Starts a long-running `tributary serve` and resolves once it logged that it is ready.
async function serve(args: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  while (!output.includes('tributary serve is ready')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`tributary serve ${args.join(' ')} did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the read verbs on the embedded engine', () => {
  let dataDir: string;
  let head: number;
  beforeAll(async () => {
    dataDir = tempDir();
    const app = await createApp({ engine: 'embedded', dataDir, aggregates: [Account] });
    for (const [id, owner] of [['a-1', 'Ada'], ['a-2', 'Grace']] as const) {
      await app.send({ type: 'OpenAccount', aggregate: 'Account', id, payload: { owner } });
    }
    const r = await app.send({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 700 } });
    head = r.ok ? r.position : 0;
    await app.close();
  });

  it('query, status, watch and rebuild', async () => {
    // Two queries at once: one catches the view up, the other reads it (waiting for the position).
    const [found, absent, unknown, noDir] = await Promise.all([
      cli(['query', 'AccountBalance', 'a-1', '--data-dir', dataDir, '--min-position', String(head)]),
      cli(['query', 'AccountBalance', 'nobody', '--data-dir', dataDir]),
      cli(['query', 'Nope', 'a-1', '--data-dir', dataDir]),
      cli(['status']),
    ]);
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ accountId: 'a-1', owner: 'Ada', balance: 700, status: 'open' });
    expect([absent.code, absent.stdout.trim()]).toEqual([1, 'null']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no projection named "Nope" in .*tributary\.config\.ts; its projections are OrderSummary, .*AccountBalance/);
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toMatch(/give --data-dir/);

    const [status, watched] = await Promise.all([
      cli(['status', '--data-dir', dataDir, '--json']),
      cli(['watch', 'AccountBalance', '--data-dir', dataDir, '--from-position', '1', '--count', '2']),
    ]);
    expect(status.code, status.stderr).toBe(0);
    const { projections } = JSON.parse(status.stdout) as { projections: { name: string; position: number; headPosition: number; state: string }[] };
    // The queries caught AccountBalance up; the others never ran.
    expect(projections.find((p) => p.name === 'AccountBalance')).toMatchObject({ position: head, headPosition: head });
    expect(projections.find((p) => p.name === 'OrderSummary')).toMatchObject({ position: 0, headPosition: head });
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; position: number });
    expect(lines.map((l) => [l.key, l.position])).toEqual([['a-1', head], ['a-2', head]]);

    const rebuilt = await cli(['rebuild', 'AccountBalance', '--data-dir', dataDir]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ projection: 'AccountBalance', generation: 2, position: head });
    expect(rebuilt.stderr).toBe(''); // no bar when stderr is not a terminal
  });

  it('next to a process that projects the views: query reads them, watch (like rebuild) refuses', async () => {
    const app = await createApp({ engine: 'embedded', dataDir, aggregates: [Account], projections: [AccountBalance] });
    try {
      const r = await app.send({ type: 'Deposit', aggregate: 'Account', id: 'a-2', payload: { amount: 5 } });
      if (!r.ok) throw new Error(r.error.message);
      await app.projection(AccountBalance).waitFor(r.position);
      const [query, watch] = await Promise.all([
        cli(['query', 'AccountBalance', 'a-2', '--data-dir', dataDir, '--min-position', String(r.position)]),
        cli(['watch', 'AccountBalance', '--data-dir', dataDir]),
      ]);
      expect(query.code, query.stderr).toBe(0);
      expect(JSON.parse(query.stdout)).toMatchObject({ balance: 5 });
      expect(watch.code).toBe(1);
      expect(watch.stderr).toContain(`being projected by process ${process.pid}`);
    } finally {
      await app.close();
    }
  });
});

describe('serve --role and the read verbs on NATS', () => {
  let env: NodeJS.ProcessEnv;
  let stream: string;
  let prefix: string;

  beforeAll(async () => {
    stream = uniqueName('CLIV');
    prefix = stream.toLowerCase();
    env = { ...baseEnv(), NATS_URL: sharedNatsUrl() };
    const common = ['--stream', stream, '--prefix', prefix];
    // A write node and a read node, separate processes.
    await Promise.all([serve(['--role', 'write', ...common], env), serve(['--role', 'read', '--data-dir', tempDir(), ...common], env)]);
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
    const nc = await connect({ servers: sharedNatsUrl() });
    const jsm = await jetstreamManager(nc);
    for (const name of [stream, `${stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  });

  it('send to the write node, then query, watch, status and rebuild on the read node', async () => {
    const p = ['--prefix', prefix];
    const nc = await connect({ servers: sharedNatsUrl() });
    const client = createCommandClient({ nc, prefix });
    await client.send({ type: 'OpenAccount', aggregate: 'Account', id: 'n-1', payload: { owner: 'Ada' } });
    const deposited = await client.send({ type: 'Deposit', aggregate: 'Account', id: 'n-1', payload: { amount: 300 } });
    await client.close();
    await nc.close();
    if (!deposited.ok) throw new Error(deposited.error.message);
    const { position } = deposited;

    const [query, watch, status, missing, rebuilt] = await Promise.all([
      cli(['query', 'AccountBalance', 'n-1', '--min-position', String(position), ...p], env),
      cli(['watch', 'AccountBalance', 'n-1', '--from-position', '1', '--count', '1', ...p], env),
      cli(['status', '--json', ...p], env),
      cli(['query', 'AccountBalance', 'n-1', '--prefix', `${prefix}-nobody`, '--timeout', '500'], env),
      cli(['rebuild', 'AccountBalance', ...p], env),
    ]);
    expect(query.code, query.stderr).toBe(0);
    expect(JSON.parse(query.stdout)).toMatchObject({ owner: 'Ada', balance: 300 });
    expect(watch.code, watch.stderr).toBe(0);
    expect(JSON.parse(watch.stdout)).toMatchObject({ projection: 'AccountBalance', key: 'n-1', value: { balance: 300 }, position });
    expect(status.code, status.stderr).toBe(0);
    const nodes = JSON.parse(status.stdout) as { node: string; projections: { name: string; position: number; state: string }[] }[];
    expect(nodes).toHaveLength(1);
    expect(nodes[0]!.projections.find((s) => s.name === 'AccountBalance')).toMatchObject({ position, state: 'running' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no read node hosts projection AccountBalance/);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject([{ node: nodes[0]!.node, ok: true, result: { projection: 'AccountBalance', generation: 2, position } }]);
  });
});
