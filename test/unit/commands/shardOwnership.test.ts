import { describe, expect, it } from 'vitest';
import { SHARDS, rendezvousOwner, shardOf } from '../../../src/commands/shardOwnership.js';

describe('rendezvous shard owners', () => {
  const shards = Array.from({ length: SHARDS }, (_, i) => i);

  it('give every node the same owner, whatever the order it lists the members in', () => {
    for (const shard of shards) expect(rendezvousOwner('Account', shard, ['n1', 'n2', 'n3'])).toBe(rendezvousOwner('Account', shard, ['n3', 'n1', 'n2']));
    expect(rendezvousOwner('Account', 0, [])).toBeUndefined();
  });

  it('spread the shards, and a join moves only the shards the newcomer wins', () => {
    const two = shards.map((s) => rendezvousOwner('Account', s, ['n1', 'n2']));
    const three = shards.map((s) => rendezvousOwner('Account', s, ['n1', 'n2', 'n3']));
    const share = (owners: Array<string | undefined>, node: string) => owners.filter((o) => o === node).length / SHARDS;
    expect(share(two, 'n1')).toBeGreaterThan(0.3);
    expect(share(two, 'n2')).toBeGreaterThan(0.3);
    expect(share(three, 'n3')).toBeGreaterThan(0.15);
    for (const s of shards) if (three[s] !== 'n3') expect(three[s]).toBe(two[s]);
  });

  it('hash each instance to a fixed shard', () => {
    expect(shardOf('Account', 'a-1')).toBe(shardOf('Account', 'a-1'));
    const seen = new Set(Array.from({ length: 2000 }, (_, i) => shardOf('Account', `a-${i}`)));
    expect(seen.size).toBeGreaterThan(SHARDS * 0.9);
    for (const s of seen) expect(s >= 0 && s < SHARDS).toBe(true);
  });
});
