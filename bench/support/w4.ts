import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { open } from 'lmdb';
import { encodeCommitRecord } from '../../src/eventLog/commitRecord.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import { tempDir } from './embeddedRuns.js';
import type { MemorySample } from './memorySampler.js';

/** What the W4 child process reports. */
export type W4ChildResult = {
  seconds: number;
  accepted: number;
  errors: string[];
  ok: boolean;
  /** The child's peak RSS over its whole life, in bytes. */
  peakRss: number;
  peak: MemorySample;
  /** JS heap still in use after a full GC at the end of the run. */
  retainedHeap: number;
  liveActors: number;
  evictions: number;
};

// The raw baseline: the same million commit records, put by position with the same window.
async function rawRate(accounts: number, window: number): Promise<number> {
  const timestamp = Date.now();
  const records = Array.from({ length: accounts }, (_, i) =>
    encodeCommitRecord({ aggregate: 'Account', id: `w4-${i}`, version: 1, commandId: `w4-open-${i}`, correlationId: `w4-open-${i}`,
      causationId: `w4-open-${i}`, timestamp, events: [{ type: 'AccountOpened', data: { owner: `owner-${i}` } }] }),
  );
  const dir = tempDir('trib-w4raw-');
  const root = open({ path: dir.path });
  const db = root.openDB<Uint8Array, number>({ name: 'commits', encoding: 'binary' });
  let position = 0;
  const t0 = performance.now();
  await runWindowed(records, window, (r) => db.put(++position, r));
  const seconds = (performance.now() - t0) / 1000;
  const ok = db.getCount() === accounts;
  await root.close();
  dir.dispose();
  if (!ok) throw new Error('raw W4 baseline lost puts');
  return accounts / seconds;
}

/**
 * W4: `accounts` distinct accounts opened once each through the registry bound (`maxActors`,
 * default 10,000), in a child process (`w4Child.ts`) so that its peak RSS is its own; beside raw
 * LMDB puts of the same records in this process. Verified: every command accepted at version 1,
 * positions 1..accounts, and a sample of accounts (live and evicted) read back.
 *
 * @example
 * ```ts
 * const w4 = await runW4({ accounts: 1_000_000, window: 2000 });
 * ```
 */
export async function runW4(options: { accounts: number; window: number; maxActors?: number }) {
  const { accounts, window } = options;
  const maxActors = options.maxActors ?? 10_000;
  const script = fileURLToPath(new URL('./w4Child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(accounts), String(window), String(maxActors)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the W4 child exited with ${code}`);
  const result = JSON.parse(stdout) as W4ChildResult;
  if (!result.ok) console.error(`W4 differs from the model: ${result.accepted}/${accounts} accepted; ${result.errors.join('; ')}`);
  return { ...result, accounts, maxActors, rate: accounts / result.seconds, rawRate: await rawRate(accounts, window) };
}
