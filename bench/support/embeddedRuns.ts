import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { Command, CommandResult } from '../../src/index.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import type { ProbedApp } from './probedApp.js';
import type { W1 } from './w1.js';
import { w1Commits } from './w1Commits.js';

/** What a run of W1 (or W3) did, tallied from the results. */
export type Outcome = { accepted: number; rejectedBy: Map<string, number>; events: number; otherErrors: string[] };

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

/** A measured run: `measure` wraps the timed part (the operations, not the openings). */
export type Measure = (work: () => Promise<void>) => Promise<void>;

/**
 * Runs W1-shaped work on an app: opens every account, then the operations with `window` in
 * flight (timed, inside `measure`), then checks every balance and version against the model.
 *
 * @example
 * ```ts
 * const run = await runWorkload(app, createW1(), 2000);
 * ```
 */
export async function runWorkload(app: Pick<ProbedApp, 'send' | 'state'>, w1: W1, window: number, measure: Measure = (w) => w()) {
  const outcome: Outcome = { accepted: 0, rejectedBy: new Map(), events: 0, otherErrors: [] };
  await runWindowed(w1.open, window, (c) => app.send(c), (r) => tally(outcome, r));
  const opened = outcome.accepted;
  let latencies: Float64Array = new Float64Array(0);
  let seconds = 0;
  await measure(async () => {
    const t0 = performance.now();
    latencies = await runWindowed(w1.operations, window, (c: Command) => app.send(c), (r) => tally(outcome, r));
    seconds = (performance.now() - t0) / 1000;
  });
  let mismatches = 0;
  let total = 0;
  for (const [id, balance] of w1.expected.balances) {
    const s = await app.state('Account', id);
    const actual = (s?.context as { balance?: number } | undefined)?.balance;
    total += actual ?? 0;
    if (actual !== balance || s?.version !== w1.expected.versions.get(id)) mismatches++;
  }
  const accepted = outcome.accepted - opened;
  const rejected = [...outcome.rejectedBy.values()].reduce((a, b) => a + b, 0);
  const ok =
    opened === w1.open.length &&
    mismatches === 0 &&
    outcome.otherErrors.length === 0 &&
    total === w1.expected.totalBalance &&
    accepted === w1.expected.accepted &&
    rejected === w1.expected.rejected;
  if (!ok) console.error(`run differs from the model: ${mismatches} account mismatches; errors: ${outcome.otherErrors.slice(0, 3).join('; ')}`);
  return { seconds, latencies, outcome, accepted, events: outcome.events - opened, ok };
}

/** A fresh temporary data directory, removed by `dispose`. */
export function tempDir(prefix: string): { path: string; dispose(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The raw baseline: the same commit bytes the framework stores, put straight into LMDB by
 * position with the same number in flight; lmdb-js batches them into transactions the same way.
 *
 * @example
 * ```ts
 * const raw = await runRawLmdb(w1, 2000);
 * ```
 */
export async function runRawLmdb(w1: W1, window: number, measure: Measure = (w) => w()) {
  const dir = tempDir('trib-raw-');
  const root = open({ path: dir.path });
  const db = root.openDB<Uint8Array, number>({ name: 'commits', encoding: 'binary' });
  // Only accepted commands become commits; w1Commits decides them with the model's rules.
  const records = w1Commits(w1);
  const opens = records.slice(0, w1.open.length);
  const ops = records.slice(w1.open.length);
  let position = 0;
  await runWindowed(opens, window, (r) => db.put(++position, r.bytes));
  let latencies: Float64Array = new Float64Array(0);
  let seconds = 0;
  await measure(async () => {
    const t0 = performance.now();
    latencies = await runWindowed(ops, window, (r) => db.put(++position, r.bytes));
    seconds = (performance.now() - t0) / 1000;
  });
  const written = db.getCount();
  await root.close();
  dir.dispose();
  return { seconds, latencies, commits: ops.length, ok: written === records.length };
}
