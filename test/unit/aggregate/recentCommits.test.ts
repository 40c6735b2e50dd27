import { describe, expect, it } from 'vitest';
import { createRecentCommits, hashCommandId } from '../../../src/aggregate/recentCommits.js';
import type { EventEnvelope } from '../../../src/index.js';

function envelope(commandId: string, version: number, position: number): EventEnvelope {
  return { type: 'E', data: {}, eventId: `${commandId}/0`, aggregate: 'A', id: 'a', version, position, timestamp: 0, commandId, correlationId: commandId, causationId: commandId };
}

describe('recent commits', () => {
  it('finds what was added, and forgets the oldest past the limit', () => {
    const recent = createRecentCommits(3);
    for (let i = 1; i <= 5; i++) recent.add(hashCommandId(`c-${i}`), i, 1, i * 10);
    expect(recent.find(hashCommandId('c-1'))).toBeUndefined();
    expect(recent.find(hashCommandId('c-2'))).toBeUndefined();
    expect(recent.find(hashCommandId('c-3'))).toEqual({ version: 3, count: 1, position: 30 });
    expect(recent.find(hashCommandId('c-5'))).toEqual({ version: 5, count: 1, position: 50 });
    expect(recent.entries().map((e) => e[1])).toEqual([3, 4, 5]);
  });

  it('grows past its initial capacity up to the limit', () => {
    const recent = createRecentCommits(100);
    for (let i = 1; i <= 150; i++) recent.add(hashCommandId(`c-${i}`), i, 1, i);
    expect(recent.entries()).toHaveLength(100);
    expect(recent.find(hashCommandId('c-50'))).toBeUndefined();
    expect(recent.find(hashCommandId('c-51'))?.version).toBe(51);
    expect(recent.find(hashCommandId('c-150'))?.version).toBe(150);
  });

  it('groups envelopes into commits by position, keeping only the last ones', () => {
    const recent = createRecentCommits(2);
    recent.addEnvelopes([envelope('a', 1, 1), envelope('b', 2, 4), envelope('b', 3, 4), envelope('c', 4, 9), envelope('c', 5, 9), envelope('c', 6, 9)]);
    expect(recent.find(hashCommandId('a'))).toBeUndefined();
    expect(recent.find(hashCommandId('b'))).toEqual({ version: 3, count: 2, position: 4 });
    expect(recent.find(hashCommandId('c'))).toEqual({ version: 6, count: 3, position: 9 });
  });

  it('round-trips through entries, and clears', () => {
    const recent = createRecentCommits(8);
    recent.add(hashCommandId('x'), 1, 1, 1);
    recent.add(hashCommandId('y'), 3, 2, 2);
    const copy = createRecentCommits(8);
    copy.addEntries(recent.entries());
    expect(copy.find(hashCommandId('y'))).toEqual({ version: 3, count: 2, position: 2 });
    copy.clear();
    expect(copy.find(hashCommandId('y'))).toBeUndefined();
  });

  it('keeps nothing with a limit of 0', () => {
    const recent = createRecentCommits(0);
    recent.add(hashCommandId('x'), 1, 1, 1);
    expect(recent.find(hashCommandId('x'))).toBeUndefined();
  });

  it('hashes deterministically and spreads similar ids', () => {
    expect(hashCommandId('w1-op-1')).toBe(hashCommandId('w1-op-1'));
    const hashes = new Set(Array.from({ length: 10_000 }, (_, i) => hashCommandId(`w1-op-${i}`)));
    expect(hashes.size).toBe(10_000);
  });
});
