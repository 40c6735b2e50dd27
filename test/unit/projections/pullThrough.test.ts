import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { pullThrough } from '../../../src/projection/pullThrough.js';

async function* numbers(n: number, pulled: number[], signal?: AbortSignal) {
  for (let i = 1; i <= n; i++) {
    if (signal?.aborted) return;
    pulled.push(i);
    yield i;
  }
}

describe('pullThrough', () => {
  it('emits each step result in order and completes', async () => {
    const out = await lastValueFrom(pullThrough((s) => numbers(5, [], s), (n) => n * 10).pipe(toArray()));
    expect(out).toEqual([10, 20, 30, 40, 50]);
  });

  it('completes at once on an empty source', async () => {
    expect(await lastValueFrom(pullThrough(() => numbers(0, []), (n) => n).pipe(toArray()))).toEqual([]);
  });

  it('reads the next value only after the step settled (backpressure)', async () => {
    const pulled: number[] = [];
    const seen: number[][] = [];
    await lastValueFrom(
      pullThrough((s) => numbers(4, pulled, s), async (n) => {
        seen.push([...pulled]);
        await new Promise((r) => setTimeout(r, 5));
        return n;
      }).pipe(toArray()),
    );
    expect(seen).toEqual([[1], [1, 2], [1, 2, 3], [1, 2, 3, 4]]);
  });

  it('errors when a step throws, and stops reading', async () => {
    const pulled: number[] = [];
    const run = pullThrough((s) => numbers(10, pulled, s), (n) => {
      if (n === 3) throw new Error('boom at 3');
      return n;
    });
    await expect(lastValueFrom(run)).rejects.toThrow('boom at 3');
    expect(pulled).toEqual([1, 2, 3]);
  });

  it('errors when the source throws', async () => {
    async function* failing() {
      yield 1;
      throw new Error('source broke');
    }
    await expect(lastValueFrom(pullThrough(() => failing(), (n) => n))).rejects.toThrow('source broke');
  });

  it('aborts the source when unsubscribed early, even while it waits', async () => {
    let aborted = false;
    let finished = false;
    async function* waitsForever(signal: AbortSignal) {
      try {
        yield 1;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      } finally {
        aborted = signal.aborted;
        finished = true;
      }
    }
    const got: number[] = [];
    const subscription = pullThrough(waitsForever, (n) => n).subscribe((n) => got.push(n));
    await new Promise((r) => setTimeout(r, 10));
    subscription.unsubscribe();
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([1]);
    expect(aborted).toBe(true);
    expect(finished).toBe(true);
  });
});
