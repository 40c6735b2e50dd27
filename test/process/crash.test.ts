import { spawn, type ChildProcess } from 'node:child_process';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { snapshotOf } from '../../src/process/processStep.js';
import { ENGINES, testLog, type TestLog } from '../projection/engines.js';
import { openWriter, probeStore } from './crashSupport.js';
import { Probe } from './probe.js';

const worker = fileURLToPath(new URL('./crashWorker.ts', import.meta.url));
type Run = { done: boolean; killed: boolean; state: string };
type Worker = { child: ChildProcess; ready: Promise<string>; exit: Promise<Run> };

function startWorker(t: TestLog, maxBatch: number, options: { killAtSend?: number | 'hang'; node: string }): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, JSON.stringify(t.spec), t.dir, String(maxBatch), String(options.killAtSend ?? 0), options.node], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: (state: string) => void = () => {};
  const ready = new Promise<string>((resolve) => (onReady = resolve));
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const m = /ready (\w+)/.exec(out);
    if (m) onReady(m[1]!);
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const state = /ready (\w+)/.exec(out)?.[1] ?? 'none';
      if (signal === 'SIGKILL') resolve({ done: false, killed: true, state });
      else if (code === 0) resolve({ done: /done/.test(out), killed: false, state });
      else reject(new Error(`worker exited with ${code}: ${err}`));
    });
  });
  return { child, ready, exit };
}

async function runWorker(t: TestLog, maxBatch: number, options: { killAfterMs?: number; killAtSend?: number; node: string }): Promise<Run> {
  const w = startWorker(t, maxBatch, options);
  if (options.killAfterMs !== undefined) void w.ready.then(() => setTimeout(() => w.child.kill('SIGKILL'), options.killAfterMs));
  return w.exit;
}

const INSTANCES = 60;
const ACCOUNTS = 6;

// Per instance: a deposit sent at once, and a timer (cancelled for every third instance) that
// sends another deposit when it fires. Returns the balances an exactly-once run ends with.
async function prefill(t: TestLog): Promise<Map<string, number>> {
  const { send, close } = await openWriter(t.spec);
  const balances = new Map<string, number>();
  for (let a = 0; a < ACCOUNTS; a++) {
    await send({ type: 'OpenAccount', aggregate: 'Account', id: `acc-${a}`, payload: { owner: `o${a}` }, commandId: `open-${a}` });
    balances.set(`acc-${a}`, 0);
  }
  const deposit = (account: string, amount: number) => ({ type: 'Deposit', aggregate: 'Account', id: account, payload: { amount } });
  await Promise.all(
    Array.from({ length: INSTANCES }, async (_, i) => {
      const account = `acc-${i % ACCOUNTS}`;
      let n = 0;
      const poke = (payload: Record<string, unknown>) => send({ type: 'Poke', aggregate: 'ProbeTarget', id: `p-${i}`, payload, commandId: `poke-${i}-${n++}` });
      await poke({ send: deposit(account, i + 1) });
      await poke({ wait: 400 + (i % 7) * 150, then: deposit(account, 1000) });
      balances.set(account, balances.get(account)! + i + 1);
      if (i % 3 === 0) await poke({ cancel: true });
      else balances.set(account, balances.get(account)! + 1000);
    }),
  );
  await close();
  return balances;
}

async function outcome(t: TestLog) {
  const { log, close } = await openWriter(t.spec);
  const { store, close: closeStore } = probeStore(t.spec, log, t.dir);
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
      for (const e of commit.events) if (e.type === 'Deposited') balances.set(e.id, (balances.get(e.id) ?? 0) + (e.data as { amount: number }).amount);
    }
  }
  await closeStore();
  await close();
  return { states, timerFirings, balances, outbox: outbox.size, processCommits: [...commandIds].filter(([id]) => id.startsWith('Probe/')) };
}

async function dropProcessStream(t: TestLog) {
  if (t.spec.engine !== 'nats') return;
  const nc = await connect({ servers: t.spec.servers });
  await (await jetstreamManager(nc)).streams.delete(`${t.spec.stream}_PROCESSES`).catch(() => undefined);
  await nc.close();
}

describe.each(ENGINES)('process crash (%s)', (engine) => {
  const logs: TestLog[] = [];
  afterEach(async () => {
    for (const t of logs.splice(0)) {
      await dropProcessStream(t);
      await t.cleanup();
    }
  });

  it('SIGKILL at random points and between outbox and dispatch: every command applied once, every timer fired once, the same end as an uninterrupted run', { timeout: 240_000 }, async () => {
    const crashed = testLog(engine);
    const calm = testLog(engine);
    logs.push(crashed, calm);
    const expected = await prefill(crashed);
    await prefill(calm);

    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const runs: Run[] = [];
    let node = 0;
    if (engine === 'nats') {
      // Two nodes: the one running the process hangs on its first command and is killed; the
      // standby takes over on the missing heartbeats and finishes.
      const owner = startWorker(crashed, 10, { node: `n${node++}`, killAtSend: 'hang' });
      expect(await owner.ready).toBe('running');
      const standby = startWorker(crashed, 10, { node: `n${node++}` });
      expect(await standby.ready).toBe('standby');
      owner.child.kill('SIGKILL');
      expect((await owner.exit).killed).toBe(true);
      expect((await standby.exit).done).toBe(true);
      const reset = await outcome(crashed);
      expect(reset.outbox).toBe(0);
      // Replay the whole run from scratch below, on fresh state, with the crashes.
      await dropProcessStream(crashed);
    }
    // Right after an outbox entry is durable, before its command is sent.
    for (const at of [1, 25]) runs.push(await runWorker(crashed, 10, { killAtSend: at, node: `n${node++}` }));
    for (let k = 0; k < 3; k++) runs.push(await runWorker(crashed, 3 + random(30), { killAfterMs: 100 + random(600), node: `n${node++}` }));
    const final = await runWorker(crashed, 50, { node: `n${node++}` });
    expect(final.done).toBe(true);
    // The kills at a send always land; a random one may come after a run already finished.
    expect(runs.slice(0, 2).every((r) => r.killed && !r.done)).toBe(true);
    expect((await runWorker(calm, 50, { node: 'calm' })).done).toBe(true);

    const a = await outcome(crashed);
    const b = await outcome(calm);
    expect(a.outbox).toBe(0);
    expect(Object.fromEntries(a.balances)).toEqual(Object.fromEntries(expected));
    // Each process command appended once: a deposit per instance plus one per uncancelled timer.
    const uncancelled = Array.from({ length: INSTANCES }, (_, i) => i).filter((i) => i % 3 !== 0).length;
    expect(a.processCommits.length).toBe(INSTANCES + uncancelled);
    expect(a.processCommits.every(([, n]) => n === 1)).toBe(true);
    for (let i = 0; i < INSTANCES; i++) expect(a.timerFirings.get(`p-${i}`)).toBe(i % 3 === 0 ? 0 : 1);
    expect(Object.fromEntries(a.states)).toEqual(Object.fromEntries(b.states));
    expect(Object.fromEntries(a.balances)).toEqual(Object.fromEntries(b.balances));
  });
});
