import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult } from '../../src/commands/command.js';
import { createCommandClient } from '../../src/commands/commandClient.js';
import { createNatsEventLog } from '../../src/eventLog/nats/createNatsEventLog.js';
import { runCli, tributaryBin, type CliRun } from '../support/runCli.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

const bin = tributaryBin;
let servers: string;
let nc: NatsConnection;
let stream: string;
let prefix: string;
let serve: ChildProcess | undefined;
let serveOutput = '';

function env(): NodeJS.ProcessEnv {
  return { ...process.env, NATS_URL: servers, LOG_LEVEL: 'info' };
}

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, env());
}

beforeAll(async () => {
  servers = sharedNatsUrl();
  nc = await connect({ servers });
  stream = uniqueName('CLI');
  prefix = stream.toLowerCase();
  serve = spawn(process.execPath, [bin, 'serve', '--stream', stream, '--prefix', prefix], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  serve.stdout!.on('data', (chunk: Buffer) => (serveOutput += chunk.toString()));
  serve.stderr!.on('data', (chunk: Buffer) => (serveOutput += chunk.toString()));
  const deadline = Date.now() + 20_000;
  while (!serveOutput.includes('tributary serve is ready')) {
    if (Date.now() > deadline || serve.exitCode !== null) throw new Error(`tributary serve did not start:\n${serveOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

afterAll(async () => {
  if (serve && serve.exitCode === null) serve.kill('SIGKILL');
  if (nc) {
    const jsm = await jetstreamManager(nc);
    for (const name of [stream, `${stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  }
});

describe('tributary serve and tributary send', () => {
  it('send prints the result as JSON, with exit code 0 for ok and 1 otherwise', async () => {
    const opened = await cli('send', 'Account', 'cli-1', 'OpenAccount', '{"owner":"Ada"}', '--prefix', prefix, '--command-id', 'cli-open');
    expect(opened.code, opened.stderr).toBe(0);
    expect(JSON.parse(opened.stdout)).toMatchObject({ ok: true, version: 1, events: [{ type: 'AccountOpened', commandId: 'cli-open' }] });

    const [rejected, badJson, unknownType] = await Promise.all([
      cli('send', 'Account', 'cli-1', 'Withdraw', '{"amount":5}', '--prefix', prefix),
      cli('send', 'Account', 'cli-1', 'Deposit', '{"amount":', '--prefix', prefix),
      cli('send', 'Account', 'cli-1', 'Teleport', '--prefix', prefix),
    ]);
    expect(rejected.code).toBe(1);
    expect(JSON.parse(rejected.stdout)).toMatchObject({ ok: false, error: { code: 'rejected', details: { reason: 'InsufficientFunds' } } });
    expect(badJson.code).toBe(1);
    expect(JSON.parse(badJson.stdout)).toMatchObject({ ok: false, error: { code: 'invalid', details: { field: 'payload' } } });
    expect(unknownType.code).toBe(1);
    expect(JSON.parse(unknownType.stdout)).toMatchObject({ ok: false, error: { code: 'unknown_command' } });
  });

  it('serve shuts down on SIGTERM after answering every command already delivered to it', async () => {
    const client = createCommandClient({ nc, prefix, timeout: 10_000 });
    const ids = Array.from({ length: 300 }, (_, i) => `term-${i}`);
    const sent: Array<Promise<CommandResult>> = ids.map((id) =>
      client.send({ type: 'OpenAccount', aggregate: 'Account', id, payload: { owner: id }, commandId: `open-${id}` }),
    );
    await nc.flush(); // every request is at the server before the signal
    serve!.kill('SIGTERM');
    const results = await Promise.all(sent);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const [code] = (await once(serve!, 'exit')) as [number | null];
    expect(code, serveOutput).toBe(0);
    expect(serveOutput).toMatch(/shutting down/);
    expect(serveOutput).toMatch(/"msg":"stopped"/);
    await client.close();

    // The first test's commit and stored rejection, then one commit per command.
    const log = await createNatsEventLog({ nc, stream, prefix });
    expect(await log.headPosition()).toBe(2 + ids.length);
    await log.close();
  });
});
