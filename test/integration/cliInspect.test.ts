import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { createApp, type App } from '../../src/index.js';
import { runCli, tributaryBin } from '../support/runCli.js';
import { deleteStreams, sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-inspect-'));
const streams: string[] = [];
afterAll(async () => {
  await deleteStreams(streams);
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Line = { position: number; aggregate: string; id: string; version: number; time: string; commandId: string; events: { type: string; version: number }[] };
const lines = (stdout: string): Line[] => stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);

// A `tributary tail` that follows the log until it gets SIGINT, as Ctrl-C sends.
function follow(args: readonly string[], env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(process.execPath, [tributaryBin, 'tail', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    async printed(count: number): Promise<Line[]> {
      const deadline = Date.now() + 20_000;
      while (lines(stdout).length < count) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`tail printed ${lines(stdout).length} of ${count} commits:\n${stdout}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return lines(stdout);
    },
    async interrupt(): Promise<number | null> {
      child.kill('SIGINT');
      const [code] = child.exitCode !== null ? [child.exitCode] : ((await once(child, 'exit')) as [number | null]);
      return code;
    },
  };
}

const deposit = (app: App, id: string, n: number) =>
  app.send({ type: 'Deposit', aggregate: 'Account', id, payload: { amount: n }, commandId: `dep-${id}-${n}` });

describe('tributary events and tail', () => {
  it('print the log of the embedded engine, follow it live, and exit cleanly on Ctrl-C', async () => {
    const dataDir = path.join(tmp, 'embedded');
    const app = await createApp({ engine: 'embedded', dataDir, aggregates: [Account] });
    try {
      await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' }, commandId: 'open-a-1' });
      await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-2', payload: { owner: 'Bob' }, commandId: 'open-a-2' });
      await deposit(app, 'a-1', 5);
      const env = { ...process.env };
      const [events, none, fromTwo] = await Promise.all([
        runCli(['events', 'Account', 'a-1', '--data-dir', dataDir], env),
        runCli(['events', 'Account', 'nobody', '--data-dir', dataDir], env),
        runCli(['tail', '--data-dir', dataDir, '--from-position', '2', '--no-follow'], env),
      ]);
      expect(events.code, events.stderr).toBe(0);
      expect(lines(events.stdout).map((l) => [l.position, l.version, l.commandId, l.events.map((e) => e.type)])).toEqual([
        [1, 1, 'open-a-1', ['AccountOpened']],
        [3, 2, 'dep-a-1-5', ['Deposited']],
      ]);
      expect(Number.isNaN(Date.parse(lines(events.stdout)[0]!.time))).toBe(false);
      expect([none.code, none.stdout, none.stderr]).toEqual([1, '', 'no events for Account nobody\n']);
      expect(lines(fromTwo.stdout).map((l) => l.position)).toEqual([2, 3]);

      const tail = follow(['--data-dir', dataDir], env);
      expect((await tail.printed(3)).map((l) => l.position)).toEqual([1, 2, 3]);
      await deposit(app, 'a-2', 7); // appended by another process: tail polls for it
      expect((await tail.printed(4)).at(-1)).toMatchObject({ position: 4, id: 'a-2', commandId: 'dep-a-2-7' });
      expect(await tail.interrupt()).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('print the log of a JetStream stream, follow it live, and exit cleanly on Ctrl-C', async () => {
    const servers = sharedNatsUrl();
    const stream = uniqueName('INSPECT');
    streams.push(stream);
    const prefix = stream.toLowerCase();
    const app = await createApp({ engine: 'nats', servers, stream, prefix, aggregates: [Account], serveCommands: false });
    try {
      await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'n-1', payload: { owner: 'Ada' }, commandId: 'open-n-1' });
      const env = { ...process.env, NATS_URL: servers };
      const nats = ['--stream', stream, '--prefix', prefix];
      const [events, missing] = await Promise.all([
        runCli(['events', 'Account', 'n-1', ...nats], env),
        runCli(['tail', '--stream', `${stream}_NOPE`, '--no-follow'], env),
      ]);
      expect(events.code, events.stderr).toBe(0);
      expect(lines(events.stdout).map((l) => [l.position, l.commandId])).toEqual([[1, 'open-n-1']]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`there is no JetStream stream ${stream}_NOPE`);

      const tail = follow(nats, env);
      expect((await tail.printed(1)).map((l) => l.commandId)).toEqual(['open-n-1']);
      await deposit(app, 'n-1', 3);
      expect((await tail.printed(2)).at(-1)).toMatchObject({ position: 2, version: 2, commandId: 'dep-n-1-3' });
      expect(await tail.interrupt()).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('say how to create a config when a verb needs one and none is found', async () => {
    const { TRIBUTARY_CONFIG: _exampleConfig, ...noConfig } = process.env;
    const [serve, query] = await Promise.all([
      runCli(['serve'], { ...noConfig, NATS_URL: sharedNatsUrl() }, tmp),
      runCli(['query', 'AccountBalance', 'a-1', '--data-dir', tmp], noConfig, tmp),
    ]);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain(`tributary serve: no config found in ${tmp}: create tributary.config.ts`);
    expect(query.code).toBe(2);
    expect(query.stderr).toMatch(/tributary query: reading projection AccountBalance here needs its definition: create tributary\.config\.ts/);
  });

  it('init refuses a directory that is not empty', async () => {
    const dir = path.join(tmp, 'taken');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const init = await runCli(['init', dir], process.env);
    expect([init.code, init.stderr]).toEqual([1, `tributary init: ${dir} is not empty: init writes a new project into an empty or new directory\n`]);
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
  });
});
