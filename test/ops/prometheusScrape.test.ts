import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { createApp, type App } from '../../src/createApp.js';
import { startOpsServer, type OpsServer } from '../../src/observability/opsServer.js';
import { tempDir } from '../projection/support.js';

const PROMETHEUS = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
const PROMETHEUS_MISSING =
  `prometheus is not at ${PROMETHEUS}: this test scrapes with a real Prometheus. ` +
  'Install it with `apt-get update && apt-get install -y prometheus` (or set PROMETHEUS_PATH), then run the tests again.';

let dir: ReturnType<typeof tempDir>;
let app: App;
let ops: OpsServer;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let output = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  try {
    accessSync(PROMETHEUS, constants.X_OK);
  } catch {
    throw new Error(PROMETHEUS_MISSING);
  }
  dir = tempDir();
  app = await createApp({ engine: 'embedded', dataDir: dir.dir, aggregates: [Account] });
  ops = await startOpsServer({ app, listen: '127.0.0.1:0' });
  const config = join(dir.dir, 'prometheus.yml');
  writeFileSync(
    config,
    ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: tributary', '    static_configs:', `      - targets: ['127.0.0.1:${ops.address.port}']`, ''].join('\n'),
  );
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir.dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prometheus.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  prometheus.stderr!.on('data', (d: Buffer) => (output += d.toString()));
}, 30_000);

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  if (prometheus && prometheus.exitCode === null) await new Promise((resolve) => prometheus!.once('exit', resolve));
  await ops?.close();
  await app?.close();
  dir?.cleanup();
});

async function query(expr: string): Promise<number | undefined> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`).catch(() => undefined);
  if (res?.status !== 200) return undefined;
  const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
  const first = body.data.result[0];
  return first === undefined ? undefined : Number(first.value[1]);
}

describe('a real Prometheus scrape', () => {
  it('scrapes /metrics and answers a query for the command counter', { timeout: 45_000 }, async () => {
    for (let i = 0; i < 7; i++) await app.send({ type: 'OpenAccount', aggregate: 'Account', id: `p-${i}`, payload: { owner: 'Ada' } });
    const deadline = Date.now() + 30_000;
    let value: number | undefined;
    while ((value = await query('sum(tributary_commands_total{aggregate="Account",type="OpenAccount",code="ok"})')) !== 7) {
      if (Date.now() > deadline || prometheus!.exitCode !== null) throw new Error(`Prometheus did not see 7 commands (last: ${value}):\n${output.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(value).toBe(7);
    expect(await query('up{job="tributary"}')).toBe(1);
    expect(await query('sum(tributary_command_duration_seconds_count)')).toBe(7);
  });
});
