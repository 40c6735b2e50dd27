import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../projection/support.js';
import { runCli } from '../support/runCli.js';

const env = { ...process.env, NATS_URL: '', LOG_LEVEL: 'silent' };
let dir: { dir: string; cleanup: () => void };

beforeAll(async () => {
  dir = tempDir();
  const demo = await runCli(['demo', '--commands', '600', '--data-dir', `${dir.dir}/d`], env);
  expect(demo.stdout).toContain('✓ Fulfilment');
  expect(demo.code).toBe(0);
}, 120_000);
afterAll(() => dir.cleanup());

describe('the CLI and process managers', () => {
  it('status lists the processes with position, lag, instances, outbox, timers and halted', async () => {
    const r = await runCli(['status', '--data-dir', `${dir.dir}/d`, '--json'], env);
    expect(r.code).toBe(0);
    const [fulfilment] = (JSON.parse(r.stdout) as { processes: { name: string; lag: number; instances: number; outbox: number; timers: number; halted: unknown[] }[] }).processes;
    expect(fulfilment).toMatchObject({ name: 'Fulfilment', lag: 0, instances: 10, outbox: 0, timers: 0, halted: [] });
    const table = await runCli(['status', '--data-dir', `${dir.dir}/d`], env);
    expect(table.stdout).toMatch(/PROCESS +POSITION +HEAD +LAG +INSTANCES +OUTBOX +TIMERS +HALTED\n +Fulfilment/);
  });

  it('rebuild refuses a process and says why; --dry-run replays the recorded inputs', async () => {
    const refused = await runCli(['rebuild', 'Fulfilment', '--data-dir', `${dir.dir}/d`], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Fulfilment is a process manager: it is not rebuilt');
    const dry = await runCli(['rebuild', 'Fulfilment', '--dry-run', '--data-dir', `${dir.dir}/d`], env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ process: 'Fulfilment', dryRun: true, instances: 10, matched: 10, differences: [] });
  });
});
