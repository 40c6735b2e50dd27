import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { Account } from '../../actors/index.js';
import { createApp, type AnyAggregateDefinition, type Command, type CommandResult } from '../../src/index.js';
import { encryptionRows } from './evolution.js';
import type { Suite } from '../main.js';
import { percentile, type Report } from '../support/report.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import { createW1, type W1 } from '../support/w1.js';
import { w1Commits } from '../support/w1Commits.js';

const WINDOW = 2000;

type Outcome = { accepted: number; rejectedBy: Map<string, number>; events: number; otherErrors: string[] };

function tally(outcome: Outcome, r: CommandResult): void {
  if (r.ok) {
    outcome.accepted++;
    outcome.events += r.events.length;
  } else if (r.error.code === 'rejected') {
    const reason = String(r.error.details?.reason ?? 'rejected');
    outcome.rejectedBy.set(reason, (outcome.rejectedBy.get(reason) ?? 0) + 1);
  } else {
    outcome.otherErrors.push(`${r.error.code}: ${r.error.message}`);
  }
}

/** What {@link runFramework} measured. @example `const run: FrameworkRun = await runFramework(w1, 2000);` */
export type FrameworkRun = Awaited<ReturnType<typeof runFramework>>;

/** W1 through `app.send` on the embedded engine, verified against the model; `aggregate` replaces Account (same machine). */
export async function runFramework(w1: W1, window: number, aggregate: AnyAggregateDefinition = Account) {
  const dir = mkdtempSync(join(tmpdir(), 'trib-bench-'));
  const app = await createApp({ engine: 'embedded', dataDir: dir, aggregates: [aggregate] });
  try {
    const outcome: Outcome = { accepted: 0, rejectedBy: new Map(), events: 0, otherErrors: [] };
    await runWindowed(w1.open, window, (c) => app.send(c), (r) => tally(outcome, r));
    const opening = { ...outcome, accepted: outcome.accepted };
    const t0 = performance.now();
    const latencies = await runWindowed(w1.operations, window, (c: Command) => app.send(c), (r) => tally(outcome, r));
    const seconds = (performance.now() - t0) / 1000;
    // Verify against the model: every balance and version, read back from the write model.
    let mismatches = 0;
    let total = 0;
    for (const [id, balance] of w1.expected.balances) {
      const s = await app.state('Account', id);
      const actual = (s?.context as { balance?: number } | undefined)?.balance;
      total += actual ?? 0;
      if (actual !== balance || s?.version !== w1.expected.versions.get(id)) mismatches++;
    }
    const opsAccepted = outcome.accepted - opening.accepted;
    const opsRejected = [...outcome.rejectedBy.values()].reduce((a, b) => a + b, 0);
    const ok =
      mismatches === 0 &&
      outcome.otherErrors.length === 0 &&
      total === w1.expected.totalBalance &&
      opsAccepted === w1.expected.accepted &&
      opsRejected === w1.expected.rejected;
    return { seconds, latencies, outcome, ok, mismatches, rss: process.resourceUsage().maxRSS * 1024 };
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// The raw baseline: the same commit bytes the framework stores, put straight into LMDB by
// position with the same number in flight; lmdb-js batches them into transactions the same way.
async function runRawLmdb(w1: W1, window: number) {
  const dir = mkdtempSync(join(tmpdir(), 'trib-raw-'));
  const root = open({ path: dir });
  const db = root.openDB<Uint8Array, number>({ name: 'commits', encoding: 'binary' });
  // Only accepted commands become commits; w1Commits decides them with the model's rules.
  const records = w1Commits(w1);
  const opens = records.slice(0, w1.open.length);
  const ops = records.slice(w1.open.length);
  let position = 0;
  await runWindowed(opens, window, (r) => db.put(++position, r.bytes));
  const t0 = performance.now();
  const latencies = await runWindowed(ops, window, (r) => db.put(++position, r.bytes));
  const seconds = (performance.now() - t0) / 1000;
  const written = db.getCount();
  await root.close();
  rmSync(dir, { recursive: true, force: true });
  return { seconds, latencies, commits: ops.length, ok: written === records.length };
}

/**
 * `npm run bench -- embedded`: W1 on the embedded engine, many commands in flight and one at a
 * time, against raw LMDB puts of the same commit bytes in the same run.
 *
 * @example
 * ```sh
 * npm run bench -- embedded --json
 * ```
 */
export const embeddedSuite: Suite = async (report: Report, { quick }) => {
  const w1 = createW1(quick ? { accounts: 1000, operations: 10_000 } : {});
  const suite = 'embedded';
  const commands = w1.operations.length;

  const raw = await runRawLmdb(w1, WINDOW);
  const fw = await runFramework(w1, WINDOW);
  const serial = await runFramework(w1, 1);
  const rawRate = raw.commits / raw.seconds;

  report.add({ suite, metric: `W1 commands/s (${WINDOW} in flight)`, value: commands / fw.seconds, unit: 'cmd/s', ok: fw.ok });
  report.add({
    suite, metric: `W1 accepted commits/s vs raw LMDB put`, value: (fw.outcome.accepted - w1.open.length) / fw.seconds,
    unit: 'commits/s', baseline: rawRate, ok: fw.ok && raw.ok,
  });
  report.add({ suite, metric: 'W1 events/s', value: (fw.outcome.events - w1.open.length) / fw.seconds, unit: 'events/s', ok: fw.ok });
  report.add({ suite, metric: 'latency p50', value: percentile(Array.from(fw.latencies), 50), unit: 'ms', baseline: percentile(Array.from(raw.latencies), 50), ok: fw.ok });
  report.add({ suite, metric: 'latency p99', value: percentile(Array.from(fw.latencies), 99), unit: 'ms', baseline: percentile(Array.from(raw.latencies), 99), ok: fw.ok });
  report.add({ suite, metric: 'W1 commands/s (1 in flight)', value: commands / serial.seconds, unit: 'cmd/s', ok: serial.ok });
  report.add({ suite, metric: 'latency p50 (1 in flight)', value: percentile(Array.from(serial.latencies), 50), unit: 'ms', ok: serial.ok });
  report.add({ suite, metric: 'latency p99 (1 in flight)', value: percentile(Array.from(serial.latencies), 99), unit: 'ms', ok: serial.ok });
  report.add({ suite, metric: 'rejected InsufficientFunds', value: fw.outcome.rejectedBy.get('InsufficientFunds') ?? 0, unit: 'commands', ok: fw.ok });
  report.add({ suite, metric: 'peak RSS', value: fw.rss / 1048576, unit: 'MiB', ok: fw.ok });
  if (!fw.ok || !serial.ok) {
    console.error(`W1 outcome differs from the model: ${fw.mismatches} account mismatches; errors: ${fw.outcome.otherErrors.slice(0, 3).join('; ')}`);
  }
  await encryptionRows(report, w1, WINDOW, fw);
};
