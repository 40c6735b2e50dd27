import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { AccountBalance } from '../../projections/index.js';
import { defineAggregate } from '../../src/aggregate/defineAggregate.js';
import type { Command, CommandResult } from '../../src/commands/command.js';
import { createApp, type App } from '../../src/createApp.js';
import { startOpsServer, type OpsServer } from '../../src/observability/opsServer.js';
import { defineProjection } from '../../src/projection/defineProjection.js';
import { tempDir } from '../projection/support.js';
import { scrape } from '../support/scrape.js';

// Account with snapshots every 2 events, so that the snapshot counters move too.
const SnapAccount = defineAggregate({ name: 'Account', machine: Account.machine, commands: Account.commands, events: Account.events, snapshotEvery: 2 });

// Halts on a deposit of 13: the poison event of the readiness test.
const Poisonable = defineProjection<number, { Deposited: { amount: number } }>({
  name: 'Poisonable',
  from: ['Account'],
  handlers: {
    Deposited: (view, event, envelope) => {
      if (event.data.amount === 13) throw new Error('13 is unlucky');
      view.update(envelope.id, (n) => (n ?? 0) + event.data.amount);
    },
  },
});

let dir: ReturnType<typeof tempDir>;
let app: App;
let ops: OpsServer;

beforeAll(async () => {
  dir = tempDir();
  app = await createApp({ engine: 'embedded', dataDir: dir.dir, aggregates: [SnapAccount], projections: [AccountBalance, Poisonable], maxActors: 2 });
  ops = await startOpsServer({ app, listen: '127.0.0.1:0' });
});

afterAll(async () => {
  await ops?.close();
  await app?.close();
  dir?.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const KNOWN_TYPES = new Set(Object.keys(Account.commands));
const labelsOf = (c: Command) =>
  c.aggregate === 'Account' ? { aggregate: 'Account', type: KNOWN_TYPES.has(c.type) ? c.type : 'unknown' } : { aggregate: 'unknown', type: 'unknown' };

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('metrics after a known workload', () => {
  const sent: Array<{ command: Command; result: CommandResult }> = [];
  const run = async (command: Command) => sent.push({ command, result: await app.send(command) });

  it('count every outcome by aggregate, type and code, with bounded labels', async () => {
    for (let i = 0; i < 4; i++) await run({ type: 'OpenAccount', aggregate: 'Account', id: `a-${i}`, payload: { owner: `o${i}` } });
    for (let i = 0; i < 3; i++) await run({ type: 'Deposit', aggregate: 'Account', id: 'a-0', payload: { amount: 10 }, commandId: `dep-${i}` });
    await run({ type: 'Deposit', aggregate: 'Account', id: 'a-0', payload: { amount: 10 }, commandId: 'dep-2' }); // a retry: dedupe hit
    await run({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: -5 } }); // invalid
    await run({ type: 'Withdraw', aggregate: 'Account', id: 'a-1', payload: { amount: 1_000_000 } }); // rejected
    await run({ type: 'Fly', aggregate: 'Account', id: 'a-1', payload: {} }); // unknown command type
    await run({ type: 'Fly', aggregate: `Nope-${Math.random()}`, id: 'x', payload: {} }); // unknown aggregate: no new label value

    const expected = new Map<string, { labels: Record<string, string>; n: number }>();
    for (const { command, result } of sent) {
      const labels = { ...labelsOf(command), code: result.ok ? 'ok' : result.error.code };
      const key = JSON.stringify(labels);
      expected.set(key, { labels, n: (expected.get(key)?.n ?? 0) + 1 });
    }
    expect([...expected.values()].map((e) => e.labels.code).sort()).toEqual(['invalid', 'ok', 'ok', 'rejected', 'unknown_command', 'unknown_command']);

    const last = Math.max(...sent.map((s) => (s.result.ok ? s.result.position : 0)));
    await app.projection(AccountBalance).waitFor(last);
    await app.projection(Poisonable).waitFor(last);
    // Snapshot saves are fire-and-forget: wait for the two of a-0 (versions 2 and 4).
    await until(async () => (await scrape(ops.url)).value('tributary_snapshot_saves_total') >= 2, 'snapshot saves');
    const m = await scrape(ops.url);

    for (const { labels, n } of expected.values()) expect(m.value('tributary_commands_total', labels), JSON.stringify(labels)).toBe(n);
    expect(m.value('tributary_commands_total')).toBe(sent.length);
    expect(new Set(m.labels('tributary_commands_total').map((l) => l.aggregate))).toEqual(new Set(['Account', 'unknown']));
    expect(m.count('tributary_command_duration_seconds')).toBe(sent.length);
    expect(m.value('tributary_command_dedupe_hits_total', { aggregate: 'Account' })).toBe(1);
    expect(m.value('tributary_command_conflicts_total')).toBe(0);

    const appended = sent.filter((s) => s.result.ok && s.result.events.length > 0 && s.command.commandId !== 'dep-2').length + 1;
    expect(appended).toBe(7);
    expect(m.count('tributary_append_duration_seconds', { outcome: 'ok' })).toBe(appended);
    expect(m.value('tributary_snapshot_saves_total', { aggregate: 'Account' })).toBe(2);

    const loads = m.value('tributary_actor_loads_total', { aggregate: 'Account' });
    const live = m.value('tributary_actors_live');
    expect(live).toBeLessThanOrEqual(2);
    expect(m.value('tributary_actor_evictions_total', { aggregate: 'Account' })).toBe(loads - live);
    expect(loads).toBeGreaterThanOrEqual(4);
    // Every load of an aggregate with snapshots looks for one first.
    expect(m.value('tributary_snapshot_loads_total', { aggregate: 'Account' })).toBe(loads);

    for (const projection of ['AccountBalance', 'Poisonable']) {
      expect(m.value('tributary_projection_position', { projection })).toBe(last);
      expect(m.value('tributary_projection_head_position', { projection })).toBe(last);
      expect(m.value('tributary_projection_lag_commits', { projection })).toBe(0);
      expect(m.value('tributary_projection_lag_seconds', { projection })).toBe(0);
      expect(m.value('tributary_projection_running', { projection })).toBe(1);
    }
    // Every commit went through one batch or another.
    expect(m.value('tributary_projection_batch_commits_sum', { projection: 'AccountBalance' })).toBe(last);
  });

  it('projection lag rises in commits and seconds while a projection is stopped, even with the head frozen, and returns to 0', async () => {
    const projection = app.projection(AccountBalance);
    await projection.stop();
    // Lag is in positions: a stored rejection after the projection's checkpoint counts too.
    const stoppedAt = (await projection.status()).position;
    let position = 0;
    const deposit = async () => {
      const r = await app.send({ type: 'Deposit', aggregate: 'Account', id: 'a-2', payload: { amount: 1 } });
      if (r.ok) position = r.position;
    };
    // The lag in seconds is the age of the OLDEST unapplied commit, not of the newest.
    await deposit();
    await sleep(700);
    await deposit();
    await deposit();
    const first = await scrape(ops.url);
    expect(first.value('tributary_projection_lag_commits', { projection: 'AccountBalance' })).toBe(position - stoppedAt);
    expect(position - stoppedAt).toBeGreaterThanOrEqual(3);
    expect(first.value('tributary_projection_running', { projection: 'AccountBalance' })).toBe(0);
    const lagBefore = first.value('tributary_projection_lag_seconds', { projection: 'AccountBalance' });
    expect(lagBefore).toBeGreaterThan(0.65);
    // Nothing is written any more: the head stands still, the lag in seconds still grows.
    await sleep(1100);
    const second = await scrape(ops.url);
    expect(second.value('tributary_projection_head_position', { projection: 'AccountBalance' })).toBe(position);
    expect(second.value('tributary_projection_lag_seconds', { projection: 'AccountBalance' })).toBeGreaterThan(lagBefore + 0.9);
    expect((await app.health({ maxLagCommits: 2 })).reasons).toEqual([expect.stringMatching(new RegExp(`projection AccountBalance lags ${position - stoppedAt} commits \\(bound 2\\)`))]);
    expect((await app.health({ maxLagSeconds: 60 })).ready).toBe(true);

    projection.resume();
    await projection.waitFor(position);
    await sleep(250); // past the sampler's cache
    const after = await scrape(ops.url);
    expect(after.value('tributary_projection_lag_commits', { projection: 'AccountBalance' })).toBe(0);
    expect(after.value('tributary_projection_lag_seconds', { projection: 'AccountBalance' })).toBe(0);
    expect(after.value('tributary_projection_position', { projection: 'AccountBalance' })).toBe(position);
  });

  it('/readyz answers 503 with the reason while a projection is halted on a poison event, and 200 after skip()', async () => {
    expect((await fetch(`${ops.url}/readyz`)).status).toBe(200);
    const r = await app.send({ type: 'Deposit', aggregate: 'Account', id: 'a-3', payload: { amount: 13 } });
    expect(r.ok).toBe(true);
    await until(async () => (await fetch(`${ops.url}/readyz`)).status === 503, '/readyz to answer 503');
    const body = (await (await fetch(`${ops.url}/readyz`)).json()) as { ready: boolean; reasons: string[] };
    expect(body.ready).toBe(false);
    expect(body.reasons).toEqual([expect.stringMatching(/projection Poisonable halted at position \d+: .*13 is unlucky/)]);
    expect((await scrape(ops.url)).value('tributary_projection_halted', { projection: 'Poisonable' })).toBe(1);

    await app.projection(Poisonable).skip();
    await app.projection(Poisonable).waitFor(r.ok ? r.position : 0);
    await until(async () => (await fetch(`${ops.url}/readyz`)).status === 200, '/readyz to answer 200 again');
    const m = await scrape(ops.url);
    expect(m.value('tributary_projection_halted', { projection: 'Poisonable' })).toBe(0);
    expect(m.value('tributary_projection_skipped_events', { projection: 'Poisonable' })).toBe(1);
  });
});
