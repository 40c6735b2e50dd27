/**
 * Property: a process's outcome (the commands it sends, their results, its final states) does not
 * depend on batch size, restarts or engine, and replaying each instance's recorded inputs gives
 * its live state. Histories of Probe inputs (commands to each instance's own account, timers set
 * and cancelled, events it ignores) are written with chosen timestamps, so that timers fire by
 * log time only (the runner's wall clock is held at 0); a last commit far in the future makes
 * every pending timer due.
 */
import fc from 'fast-check';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createProcesses } from '../../src/process/createProcesses.js';
import { replayInputs } from '../../src/process/replayInputs.js';
import { snapshotOf } from '../../src/process/processStep.js';
import { createLogger } from '../../src/logging/logger.js';
import type { LogSpec } from '../projection/support.js';
import { tempDir } from '../projection/support.js';
import { openWriter } from '../process/crashSupport.js';
import { Probe } from '../process/probe.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';
import { numRuns } from './support/fcSettings.js';

type Step = { instance: number; kind: 'deposit' | 'withdraw' | 'wait' | 'cancel' | 'ignored'; amount: number; wait: number; dt: number };
const step: fc.Arbitrary<Step> = fc.record({
  instance: fc.integer({ min: 0, max: 3 }),
  kind: fc.constantFrom('deposit' as const, 'withdraw' as const, 'wait' as const, 'cancel' as const, 'ignored' as const),
  amount: fc.integer({ min: 1, max: 9 }),
  wait: fc.integer({ min: 10, max: 600 }),
  dt: fc.integer({ min: 0, max: 300 }),
});
type Run = { maxBatch: number; restartAt: number[] };
const run: fc.Arbitrary<Run> = fc.record({ maxBatch: fc.integer({ min: 1, max: 6 }), restartAt: fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 2 }) });

const specs: LogSpec[] = [];
afterAll(async () => {
  if (!specs.some((s) => s.engine === 'nats')) return;
  const nc = await connect({ servers: sharedNatsUrl() });
  const jsm = await jetstreamManager(nc);
  for (const s of specs) if (s.engine === 'nats') for (const n of [s.stream, `${s.stream}_SNAPSHOTS`, `${s.stream}_PROCESSES`]) await jsm.streams.delete(n).catch(() => undefined);
  await nc.close();
});

async function outcomeOf(engine: 'embedded' | 'nats', steps: readonly Step[], config: Run) {
  const dir = tempDir();
  const stream = uniqueName('PPROP');
  const spec: LogSpec = engine === 'embedded' ? { engine, path: `${dir.dir}/log` } : { engine, servers: sharedNatsUrl(), stream, prefix: stream.toLowerCase() };
  specs.push(spec);
  const writer = await openWriter(spec);
  try {
    for (let k = 0; k < 4; k++) await writer.send({ type: 'OpenAccount', aggregate: 'Account', id: `acc-${k}`, payload: { owner: `o${k}` }, commandId: `open-${k}` });
    let t = 1_700_000_000_000;
    const append = (id: string, data: Record<string, unknown>, i: number) => writer.log.append('ProbeTarget', id, [{ type: 'Poked', data }], { commandId: `h-${i}`, timestamp: t });
    for (const [i, s] of steps.entries()) {
      t += s.dt;
      const account = `acc-${s.instance}`;
      const command = (type: string, amount: number) => ({ type, aggregate: 'Account', id: account, payload: { amount } });
      const data =
        s.kind === 'deposit' ? { send: command('Deposit', s.amount) }
        : s.kind === 'withdraw' ? { send: command('Withdraw', s.amount) }
        : s.kind === 'wait' ? { wait: s.wait, then: command('Deposit', s.amount) }
        : s.kind === 'cancel' ? { cancel: true }
        : {};
      await append(`p-${s.instance}`, data, i);
    }
    t += 10_000_000;
    await append('tick', {}, steps.length);
    const head = await writer.log.headPosition();

    const open = () => createProcesses({ log: writer.log, path: `${dir.dir}/processes`, processes: [Probe], send: writer.send, logger: createLogger(), maxBatch: config.maxBatch, clock: () => 0, clockSkew: 0, ownership: { heartbeat: 100, takeoverAfter: 500 } });
    for (const at of [...config.restartAt.map((r) => Math.min(r, head)).sort((a, b) => a - b)]) {
      const processes = await open();
      await processes.start();
      await processes.get(Probe).waitFor(at, { timeout: 15_000 });
      await processes.close();
    }
    const processes = await open();
    await processes.start();
    const probe = processes.get(Probe);
    await probe.settled({ timeout: 20_000 });
    // Answers may bring commands (a timer's deposit): settle until nothing is left.
    for (let s = await probe.status(); s.outbox > 0 || s.lag > 0; s = await probe.status()) await probe.settled({ timeout: 20_000 });
    const states: Record<string, unknown> = {};
    for (let k = 0; k < 4; k++) {
      const id = `p-${k}`;
      const live = await probe.state(id);
      if (!live) continue;
      states[id] = { value: live.value, context: live.context, timers: live.timers };
      // Rebuilt from its recorded inputs: the live state, inputs and timers.
      const replayed = replayInputs(Probe, id, await probe.recordedInputs(id)).record;
      expect(replayed && snapshotOf(Probe, replayed).value).toEqual(live.value);
      expect(replayed && snapshotOf(Probe, replayed).context).toEqual(live.context);
      expect(replayed?.inputs).toBe(live.inputs);
      expect(replayed?.timers.map((x) => ({ id: x.id, dueAt: x.dueAt }))).toEqual(live.timers);
    }
    await processes.close();
    const commands: [string, string][] = [];
    const balances: Record<string, unknown> = {};
    for await (const batch of writer.log.readBatches({ live: false })) {
      for (const c of batch) if (c.commandId.startsWith('Probe/')) commands.push([c.commandId, c.events.map((e) => `${e.type} ${JSON.stringify(e.data)}`).join()]);
    }
    for (let k = 0; k < 4; k++) {
      const events = await writer.log.readStream('Account', `acc-${k}`);
      balances[`acc-${k}`] = events.reduce((b, e) => b + (e.type === 'Deposited' ? (e.data as { amount: number }).amount : e.type === 'Withdrawn' ? -(e.data as { amount: number }).amount : 0), 0);
    }
    commands.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return { states, commands, balances };
  } finally {
    await writer.close();
    dir.cleanup();
  }
}

describe('process determinism (property)', () => {
  it('commands, results and final states do not depend on batch size, restarts or engine; replaying recorded inputs gives the live state', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), run, fc.boolean(), async (steps, config, onNats) => {
        const reference = await outcomeOf('embedded', steps, { maxBatch: 1000, restartAt: [] });
        const other = await outcomeOf(onNats ? 'nats' : 'embedded', steps, config);
        expect(other).toEqual(reference);
      }),
      { numRuns: numRuns(12) },
    );
  });
});
