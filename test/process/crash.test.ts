import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { createApp } from '../../src/createApp.js';
import { createLmdbEventLog } from '../../src/eventLog/lmdb/createLmdbEventLog.js';
import { createLmdbProcessStore, openProcessEnvironment } from '../../src/process/lmdbProcessStore.js';
import { snapshotOf } from '../../src/process/processStep.js';
import { tempDir } from '../projection/support.js';
import { Probe, ProbeTarget } from './probe.js';

const worker = fileURLToPath(new URL('./crashWorker.ts', import.meta.url));
type Run = { done: boolean; killed: boolean };

function runWorker(dataDir: string, maxBatch: number, options: { killAfterMs?: number; killAtSend?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, dataDir, String(maxBatch), String(options.killAtSend ?? 0)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = { done: false, killed: false };
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/ready/.test(out) && options.killAfterMs !== undefined && !run.killed) {
        run.killed = true;
        setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
      }
      if (/done/.test(out)) run.done = true;
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ ...run, killed: true });
      else if (code === 0) resolve(run);
      else reject(new Error(`worker exited with ${code}: ${err}`));
    });
  });
}

const INSTANCES = 120;
const ACCOUNTS = 8;

// Per instance: a deposit sent at once, a timer (cancelled for every third instance) that sends
// another deposit when it fires. Returns the balances an exactly-once run ends with.
async function prefill(dataDir: string): Promise<Map<string, number>> {
  const app = await createApp({ engine: 'embedded', dataDir, aggregates: [ProbeTarget, Account] });
  const balances = new Map<string, number>();
  for (let a = 0; a < ACCOUNTS; a++) {
    await app.send({ type: 'OpenAccount', aggregate: 'Account', id: `acc-${a}`, payload: { owner: `o${a}` } });
    balances.set(`acc-${a}`, 0);
  }
  const deposit = (account: string, amount: number) => ({ type: 'Deposit', aggregate: 'Account', id: account, payload: { amount } });
  await Promise.all(
    Array.from({ length: INSTANCES }, async (_, i) => {
      const account = `acc-${i % ACCOUNTS}`;
      const poke = (payload: Record<string, unknown>) => app.send({ type: 'Poke', aggregate: 'ProbeTarget', id: `p-${i}`, payload });
      await poke({ send: deposit(account, i + 1) });
      await poke({ wait: 400 + (i % 7) * 150, then: deposit(account, 1000) });
      balances.set(account, balances.get(account)! + i + 1);
      if (i % 3 === 0) await poke({ cancel: true });
      else balances.set(account, balances.get(account)! + 1000);
    }),
  );
  await app.close();
  return balances;
}

async function outcome(dataDir: string) {
  const log = await createLmdbEventLog({ path: path.join(dataDir, 'log') });
  const env = openProcessEnvironment(path.join(dataDir, 'processes'));
  const store = createLmdbProcessStore(env, 'Probe');
  const { instances, outbox } = await store.load();
  const states = new Map<string, unknown>();
  const timerFirings = new Map<string, number>();
  for (const [id, record] of instances) {
    const s = snapshotOf(Probe, record);
    states.set(id, { value: s.value, context: s.context, halted: record.halted });
    timerFirings.set(id, (await store.recordedInputs(id)).filter((input) => input.kind === 'timer').length);
  }
  const balances = new Map<string, number>();
  const commandIds = new Map<string, number>();
  for await (const batch of log.readBatches({ live: false })) {
    for (const commit of batch) {
      commandIds.set(commit.commandId, (commandIds.get(commit.commandId) ?? 0) + 1);
      for (const e of commit.events) {
        if (e.type === 'Deposited') balances.set(e.id, (balances.get(e.id) ?? 0) + (e.data as { amount: number }).amount);
      }
    }
  }
  await env.close();
  await log.close();
  return { states, timerFirings, balances, outbox: outbox.size, processCommits: [...commandIds].filter(([id]) => id.startsWith('Probe/')) };
}

describe('process crash (embedded)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('killed with SIGKILL at random points and between outbox and dispatch: every command applied once, every timer fired once, same end as an uninterrupted run', { timeout: 180_000 }, async () => {
    const crashed = tempDir();
    const calm = tempDir();
    cleanups.push(crashed.cleanup, calm.cleanup);
    const expected = await prefill(crashed.dir);
    await prefill(calm.dir);

    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const runs: Run[] = [];
    // Right after an outbox entry is durable, before its command is sent.
    for (const at of [1, 5, 30]) runs.push(await runWorker(crashed.dir, 10, { killAtSend: at }));
    for (let k = 0; k < 6; k++) runs.push(await runWorker(crashed.dir, 3 + random(30), { killAfterMs: random(900) }));
    const final = await runWorker(crashed.dir, 50);
    expect(final.done).toBe(true);
    expect(runs.filter((r) => r.killed && !r.done).length).toBeGreaterThanOrEqual(5);
    expect((await runWorker(calm.dir, 50)).done).toBe(true);

    const a = await outcome(crashed.dir);
    const b = await outcome(calm.dir);
    expect(a.outbox).toBe(0);
    expect(Object.fromEntries(a.balances)).toEqual(Object.fromEntries(expected));
    // Each process command appended once: INSTANCES deposits plus one per uncancelled timer.
    const uncancelled = Array.from({ length: INSTANCES }, (_, i) => i).filter((i) => i % 3 !== 0).length;
    expect(a.processCommits.length).toBe(INSTANCES + uncancelled);
    expect(a.processCommits.every(([, n]) => n === 1)).toBe(true);
    for (let i = 0; i < INSTANCES; i++) expect(a.timerFirings.get(`p-${i}`)).toBe(i % 3 === 0 ? 0 : 1);
    expect(Object.fromEntries(a.states)).toEqual(Object.fromEntries(b.states));
    expect(Object.fromEntries(a.balances)).toEqual(Object.fromEntries(b.balances));
  });
});
