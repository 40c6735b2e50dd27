import { Gauge, type Registry } from 'prom-client';
import { SHARDS, rendezvousOwner, type ShardOwnership } from '../commands/shardOwnership.js';
import type { Observer } from './observer.js';
import type { CounterSeries, SeriesFamily } from './seriesMetrics.js';

/**
 * What the shard gauges read: this node's ownership and the aggregate types it runs.
 *
 * @example
 * ```ts
 * const source: ShardSource = { ownership, aggregates: ['Account', 'Order'] };
 * ```
 */
export type ShardSource = { readonly ownership: ShardOwnership; readonly aggregates: readonly string[] };

type Counter = (name: string, help: string) => SeriesFamily<CounterSeries>;

// The shards of `aggregate` this node owns, as it sees the members now: 256 hashes per member.
function ownedShards(source: ShardSource, aggregate: string): Set<number> {
  const { ownership } = source;
  const members = ownership.members(aggregate);
  const owned = new Set<number>();
  for (let shard = 0; shard < SHARDS; shard++) if (rendezvousOwner(aggregate, shard, members) === ownership.nodeId) owned.add(shard);
  return owned;
}

/**
 * The shard ownership metrics of a write node on NATS (labels: aggregate type, direction and
 * reason, all bounded): shards owned and live write nodes, sampled at scrape; commands forwarded
 * to their owner; membership changes and the shards each one moved to or from this node.
 * Returns the observer part that counts the events, and `bind` for the running ownership.
 *
 * @example
 * ```ts
 * const shards = shardMetrics(registry, (name, help) => seriesCounter(registry, name, help));
 * shards.bind({ ownership, aggregates: ['Account'] });
 * ```
 */
export function shardMetrics(registry: Registry, counter: Counter): { observer: Observer; bind(source: ShardSource): void } {
  let source: ShardSource | undefined;
  // The shards this node owned at the last change: what the next change is compared with.
  let lastOwned = new Map<string, Set<number>>();
  const forwardedBy = new Map<string, CounterSeries>();
  const forwarded = counter('tributary_commands_forwarded_total', 'Commands that arrived at this node and were forwarded to the write node owning their shard.');
  const changes = counter('tributary_ownership_changes_total', 'Changes of the write nodes this node sees (joined, left, lease expired), each a rebalance of the shards.');
  const moved = counter('tributary_shards_moved_total', 'Shards that moved to (gained) or from (lost) this node in a rebalance, by aggregate type.');
  const perAggregate = (name: string, help: string, value: (s: ShardSource, aggregate: string) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['aggregate'],
      registers: [registry],
      collect() {
        this.reset();
        if (source) for (const aggregate of source.aggregates) this.set({ aggregate }, value(source, aggregate));
      },
    });
  perAggregate('tributary_shards_owned', `Shards (of ${SHARDS} per aggregate type) this node owns.`, (s, a) => ownedShards(s, a).size);
  perAggregate('tributary_write_nodes', 'Live write nodes this node sees running the aggregate type, itself included.', (s, a) => s.ownership.members(a).length);

  const snapshot = (s: ShardSource) => new Map(s.aggregates.map((a) => [a, ownedShards(s, a)] as const));
  return {
    observer: {
      commandForwarded(aggregate) {
        let series = forwardedBy.get(aggregate);
        if (series === undefined) forwardedBy.set(aggregate, (series = forwarded.series({ aggregate })));
        series.value++;
      },
      ownershipChanged(reason) {
        changes.series({ reason }).value++;
        if (source === undefined) return;
        const now = snapshot(source);
        for (const [aggregate, owned] of now) {
          const before = lastOwned.get(aggregate) ?? new Set<number>();
          let gained = 0;
          for (const shard of owned) if (!before.has(shard)) gained++;
          let lost = 0;
          for (const shard of before) if (!owned.has(shard)) lost++;
          if (gained > 0) moved.series({ aggregate, direction: 'gained' }).value += gained;
          if (lost > 0) moved.series({ aggregate, direction: 'lost' }).value += lost;
        }
        lastOwned = now;
      },
    },
    bind(next) {
      source = next;
      lastOwned = snapshot(next);
    },
  };
}
