import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Commit, EventLog, ReadBatchesOptions } from '../../../src/eventLog/eventLog.js';
import { createCommitFeed } from '../../../src/projection/commitFeed.js';
import { increment, openLog, tempDir } from '../../projection/support.js';

// The real LMDB log, with its reads counted.
function counted(log: EventLog) {
  const stats = { readers: 0, batches: 0 };
  const wrapped: EventLog = {
    ...log,
    readBatches(options?: ReadBatchesOptions) {
      stats.readers++;
      const source = log.readBatches(options);
      return (async function* () {
        for await (const b of source) {
          stats.batches++;
          yield b;
        }
      })();
    },
  };
  return { log: wrapped, stats };
}

async function take(iterator: AsyncIterator<readonly Commit[]>, count: number): Promise<number[]> {
  const positions: number[] = [];
  while (positions.length < count) {
    const r = await iterator.next();
    if (r.done) break;
    positions.push(...r.value.map((c) => c.position));
  }
  return positions;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('commit feed', () => {
  let dir: { dir: string; cleanup: () => void };
  let log: EventLog;
  beforeEach(async () => {
    dir = tempDir();
    log = await openLog(dir.dir);
    for (let i = 0; i < 100; i++) await increment(log, `c${i % 3}`);
  });
  afterEach(async () => {
    await log.close();
    dir.cleanup();
  });

  it('lets readers at the same position share one read of the log', async () => {
    const { log: countedLog, stats } = counted(log);
    const feed = createCommitFeed(countedLog, { maxBatch: 10 });
    const abort = new AbortController();
    const a = feed.batches(1, abort.signal)[Symbol.asyncIterator]();
    const b = feed.batches(1, abort.signal)[Symbol.asyncIterator]();
    const [pa, pb] = await Promise.all([take(a, 100), take(b, 100)]);
    expect(pa).toEqual(range(1, 100));
    expect(pb).toEqual(range(1, 100));
    expect(stats.readers).toBe(1);
    expect(stats.batches).toBe(10);
    abort.abort();
    feed.close();
  });

  it('gives a reader far behind its own read, without gap or duplicate, then lets it join', async () => {
    const { log: countedLog, stats } = counted(log);
    const feed = createCommitFeed(countedLog, { maxBatch: 10, window: 2 });
    const abort = new AbortController();
    const front = feed.batches(71, abort.signal)[Symbol.asyncIterator]();
    expect(await take(front, 30)).toEqual(range(71, 100));
    const late = feed.batches(1, abort.signal)[Symbol.asyncIterator]();
    expect(await take(late, 100)).toEqual(range(1, 100));
    expect(stats.readers).toBe(2);
    // Both now at the head: a new commit is read once for both.
    const before = stats.batches;
    const position = (await increment(log, 'c0')).position;
    const [x, y] = await Promise.all([take(front, 1), take(late, 1)]);
    expect(x).toEqual([position]);
    expect(y).toEqual([position]);
    expect(stats.batches - before).toBe(1);
    abort.abort();
    feed.close();
  });

  it('holds the front back for a slower reader within the window, so that reads stay shared', async () => {
    const { log: countedLog, stats } = counted(log);
    const feed = createCommitFeed(countedLog, { maxBatch: 10, window: 2 });
    const abort = new AbortController();
    const fast = feed.batches(1, abort.signal)[Symbol.asyncIterator]();
    const slow = feed.batches(1, abort.signal)[Symbol.asyncIterator]();
    const slowDone = (async () => {
      const out: number[] = [];
      for (;;) {
        const r = await slow.next();
        if (r.done) break;
        out.push(...r.value.map((c) => c.position));
        await new Promise((r) => setTimeout(r, 5));
        if (out.length >= 100) break;
      }
      return out;
    })();
    expect(await take(fast, 100)).toEqual(range(1, 100));
    expect(await slowDone).toEqual(range(1, 100));
    expect(stats.readers).toBe(1);
    expect(stats.batches).toBe(10);
    abort.abort();
    feed.close();
  });

  it('ends a reader promptly when its signal aborts while it waits for new commits', async () => {
    const feed = createCommitFeed(log, { maxBatch: 1000 });
    const abort = new AbortController();
    const it = feed.batches(1, abort.signal)[Symbol.asyncIterator]();
    expect((await take(it, 100)).length).toBe(100);
    const waiting = it.next();
    setTimeout(() => abort.abort(), 20);
    expect((await waiting).done).toBe(true);
    feed.close();
  });
});
