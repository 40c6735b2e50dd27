import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Commit } from '../../../src/eventLog/eventLog.js';
import { createLmdbEventLog } from '../../../src/eventLog/lmdb/createLmdbEventLog.js';

const ev = [{ type: 'E', data: {} }];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// The poll interval is far longer than the test: only the wake from this process's own append
// can hand the reader its batch in time.
const POLL_MS = 120_000;

describe('embedded log live readers', () => {
  it('are woken by each append in this process, not by the poll, with no reader waiting in between', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trib-wake-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const log = await createLmdbEventLog({ path: dir, pollIntervalMs: POLL_MS });
    cleanups.push(() => log.close());
    // Appends before any reader waits must not leave a stale wake behind.
    await log.append('A', 'x', ev, { commandId: 'c1' });
    await log.append('A', 'x', ev, { commandId: 'c2' });
    const controller = new AbortController();
    cleanups.push(() => controller.abort());
    const batches = log.readBatches({ fromPosition: 1, signal: controller.signal })[Symbol.asyncIterator]();
    const next = async () => ((await batches.next()).value as readonly Commit[] | undefined)?.map((c) => c.position);
    expect(await next()).toEqual([1, 2]);
    const started = Date.now();
    // The reader now waits at the head; each append must wake it, again and again.
    for (const position of [3, 4, 5]) {
      const read = next();
      await log.append('A', 'x', ev, { commandId: `c${position}` });
      expect(await read).toEqual([position]);
    }
    expect(Date.now() - started).toBeLessThan(POLL_MS / 4);
    controller.abort();
  });
});
