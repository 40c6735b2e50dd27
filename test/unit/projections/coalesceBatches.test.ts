import { describe, expect, it } from 'vitest';
import { coalesceBatches } from '../../../src/projection/coalesceBatches.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect<T>(source: AsyncIterable<readonly T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const b of source) out.push([...b]);
  return out;
}

describe('coalesceBatches', () => {
  it('passes batches through when maxDelay is 0', async () => {
    async function* src() {
      yield [1];
      yield [2, 3];
    }
    expect(await collect(coalesceBatches(src(), { maxBatch: 10, maxDelay: 0 }))).toEqual([[1], [2, 3]]);
  });

  it('joins batches arriving within maxDelay, and keeps a late one for the next batch', async () => {
    async function* src() {
      yield [1];
      await sleep(1);
      yield [2];
      await sleep(1);
      yield [3];
      await sleep(400);
      yield [4];
    }
    expect(await collect(coalesceBatches(src(), { maxBatch: 10, maxDelay: 100 }))).toEqual([[1, 2, 3], [4]]);
  });

  it('does not wait once maxBatch is reached', async () => {
    async function* src() {
      yield [1, 2];
      yield [3, 4];
      await sleep(200);
      yield [5];
    }
    const started = performance.now();
    const it = coalesceBatches(src(), { maxBatch: 4, maxDelay: 1000 })[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual([1, 2, 3, 4]);
    expect(performance.now() - started).toBeLessThan(150);
    await it.return?.(undefined);
  });

  it('propagates a source error', async () => {
    async function* src() {
      yield [1];
      throw new Error('broken');
    }
    await expect(collect(coalesceBatches(src(), { maxBatch: 10, maxDelay: 5 }))).rejects.toThrow('broken');
  });
});
