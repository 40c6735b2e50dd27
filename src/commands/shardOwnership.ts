import { randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from '../logging/logger.js';
import { isNoResponders } from '../nats/noResponders.js';
import type { Observer } from '../observability/observer.js';

/** Shards per aggregate type: an aggregate instance's shard is a hash of its name and id. */
export const SHARDS = 256;
/** How often a write node announces itself. */
export const DEFAULT_HEARTBEAT_MS = 500;
/** A node not heard from for this long is gone: its shards move to the others. */
export const DEFAULT_LEASE_MS = 3000;

/**
 * Options of {@link createShardOwnership}.
 *
 * @example
 * ```ts
 * const options: ShardOwnershipOptions = { nc, prefix: 'shop', aggregates: ['Account'], leaseMs: 3000 };
 * ```
 */
export type ShardOwnershipOptions = {
  nc: NatsConnection;
  prefix: string;
  /** The aggregate types this node runs; a node is only ever given shards of these. */
  aggregates: readonly string[];
  /** Default a random UUID. */
  nodeId?: string;
  heartbeatMs?: number;
  leaseMs?: number;
  logger: Logger;
  /** Told of every membership change (metrics). */
  observer?: Observer;
};

/**
 * Which write node owns which aggregate instance. See {@link createShardOwnership}.
 *
 * @example
 * ```ts
 * const owner = ownership.ownerOf('Account', 'a-1');
 * if (owner !== ownership.nodeId) forwardTo(owner);
 * ```
 */
export type ShardOwnership = {
  readonly nodeId: string;
  /** The node that owns the instance's shard, as this node sees the membership now. */
  ownerOf(aggregate: string, id: string): string;
  /** The live nodes that run `aggregate`, this one included (sorted). */
  members(aggregate: string): string[];
  /**
   * Starts announcing this node, and waits briefly for the live nodes to answer (so a joining
   * node does not start out owning everything). Call it once this node can take forwarded commands.
   */
  join(): Promise<void>;
  /** Announces a graceful leave: the others take this node's shards at once. Idempotent. */
  leave(): void;
  /** Stops heartbeats and listening (after {@link leave}, or on close). */
  stop(): void;
};

type Heartbeat = { readonly node: string; readonly aggregates: readonly string[] };

/** FNV-1a, 32 bits: a stable hash that every node computes alike. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The shard of an aggregate instance, in [0, {@link SHARDS}).
 *
 * @example
 * ```ts
 * shardOf('Account', 'a-1'); // e.g. 113
 * ```
 */
export function shardOf(aggregate: string, id: string): number {
  return fnv1a(`${aggregate}\u0000${id}`) % SHARDS;
}

/**
 * Rendezvous (highest random weight) hashing: the owner of a shard is the member with the
 * highest hash of (shard, member). Every node that sees the same members picks the same owner, and
 * a join or leave only moves the shards that the joining or leaving node wins or held.
 *
 * @example
 * ```ts
 * rendezvousOwner('Account', 17, ['n1', 'n2']); // 'n1' or 'n2', the same on every node
 * ```
 */
export function rendezvousOwner(aggregate: string, shard: number, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const score = fnv1a(`${aggregate}\u0000${shard}\u0000${m}`);
    if (score > bestScore || (score === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Shard ownership among the live write nodes, from heartbeats on core NATS
 * (`<prefix>.nodes.heartbeat`, every `heartbeatMs`) and rendezvous hashing over the members heard
 * within `leaseMs`:
 * - a node joins by announcing itself (the others answer at once with their own heartbeat);
 * - a graceful leave is announced on `<prefix>.nodes.leave` and takes effect at once;
 * - a crashed node's shards move when its lease runs out (`leaseMs`, default 3 s), or sooner: a
 *   peer that misses two heartbeats is pinged on `<prefix>.nodes.ping.<node>`, and "no responders"
 *   means its connection is gone (a killed process), so its shards move at once.
 *
 * Ownership is a routing decision, not a lock: while two nodes disagree (a join in flight, a
 * partition, a lease running out), both may run commands of one instance, and the event log's
 * optimistic concurrency (serialised on every nats-server version, see `versionSubject`) keeps
 * the history linear; the loser catches up and retries. Nothing here uses JetStream, so nothing
 * here depends on the expected-sequence check that nats-server before 2.9.21 does not serialise.
 *
 * @example
 * ```ts
 * const ownership = createShardOwnership({ nc, prefix: 'shop', aggregates: ['Account'], logger });
 * await ownership.join();
 * ownership.ownerOf('Account', 'a-1'); // this node's id, or another live node's
 * ```
 */
export function createShardOwnership(options: ShardOwnershipOptions): ShardOwnership {
  const { nc, prefix, logger } = options;
  const nodeId = options.nodeId ?? randomUUID();
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const hosted = [...new Set(options.aggregates)];
  const heartbeatSubject = `${prefix}.nodes.heartbeat`;
  const leaveSubject = `${prefix}.nodes.leave`;
  const pingSubject = (node: string) => `${prefix}.nodes.ping.${node}`;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  // node -> (last heard, aggregates it runs); this node is always a member until it leaves.
  const peers = new Map<string, { heard: number; aggregates: ReadonlySet<string> }>();
  let joined = false;
  let left = false;
  // members per aggregate, recomputed only when the membership changes (ownerOf is per command)
  let cache = new Map<string, string[]>();

  const announce = () => {
    if (!joined || left || nc.isClosed()) return;
    const beat: Heartbeat = { node: nodeId, aggregates: hosted };
    try {
      nc.publish(heartbeatSubject, encoder.encode(JSON.stringify(beat)));
    } catch (err) {
      logger.debug({ err }, 'could not publish a heartbeat');
    }
  };

  const members = (aggregate: string): string[] => {
    let list = cache.get(aggregate);
    if (list === undefined) {
      const now = Date.now();
      list = [...peers].filter(([, p]) => now - p.heard < leaseMs && p.aggregates.has(aggregate)).map(([n]) => n);
      if (!left && hosted.includes(aggregate)) list.push(nodeId);
      list.sort();
      cache.set(aggregate, list);
    }
    return list;
  };

  const changed = (why: string, node: string) => {
    cache = new Map();
    logger.info({ node, why, members: hosted.map((a) => ({ aggregate: a, members: members(a).length })) }, 'write-node membership changed');
    options.observer?.ownershipChanged?.(why);
  };

  const subs: Subscription[] = [
    nc.subscribe(heartbeatSubject, {
      callback: (err, msg) => {
        if (err) return;
        let beat: Heartbeat;
        try {
          beat = JSON.parse(decoder.decode(msg.data)) as Heartbeat;
        } catch {
          return;
        }
        if (typeof beat.node !== 'string' || beat.node === nodeId || !Array.isArray(beat.aggregates)) return;
        const known = peers.get(beat.node);
        peers.set(beat.node, { heard: Date.now(), aggregates: new Set(beat.aggregates) });
        if (known === undefined || Date.now() - known.heard >= leaseMs) {
          changed('joined', beat.node);
          // Let the newcomer learn this node now rather than at the next beat.
          announce();
        }
      },
    }),
    nc.subscribe(pingSubject(nodeId), {
      callback: (err, msg) => {
        if (!err && !left) msg.respond();
      },
    }),
    nc.subscribe(leaveSubject, {
      callback: (err, msg) => {
        if (err) return;
        const node = decoder.decode(msg.data);
        if (node !== nodeId && peers.delete(node)) changed('left', node);
      },
    }),
  ];

  // A peer whose heartbeats stopped: a closed connection (kill -9) has no subscription left, which
  // the server says at once; a slow or partitioned peer keeps its lease until it runs out.
  const pinging = new Set<string>();
  const ping = (node: string, heard: number) => {
    pinging.add(node);
    nc.request(pingSubject(node), undefined, { timeout: leaseMs }).then(
      () => pinging.delete(node),
      (err: unknown) => {
        pinging.delete(node);
        const gone = isNoResponders(err);
        if (gone && peers.get(node)?.heard === heard) {
          peers.delete(node);
          changed('no responders: its connection is gone', node);
        }
      },
    );
  };

  let beat: NodeJS.Timeout | undefined;
  const tick = () => {
    announce();
    const now = Date.now();
    for (const [node, p] of peers) {
      if (now - p.heard >= leaseMs) {
        peers.delete(node);
        changed('lease expired', node);
      } else if (now - p.heard >= 2 * heartbeatMs && !pinging.has(node) && !nc.isClosed()) {
        ping(node, p.heard);
      }
    }
  };

  return {
    nodeId,
    async join() {
      if (joined) return;
      joined = true;
      beat = setInterval(tick, heartbeatMs);
      beat.unref();
      announce();
      await nc.flush();
      await new Promise((resolve) => setTimeout(resolve, Math.min(heartbeatMs, 250)));
    },
    ownerOf(aggregate, id) {
      return rendezvousOwner(aggregate, shardOf(aggregate, id), members(aggregate)) ?? nodeId;
    },
    members,
    leave() {
      if (left) return;
      left = true;
      cache = new Map();
      try {
        if (!nc.isClosed()) nc.publish(leaveSubject, encoder.encode(nodeId));
      } catch (err) {
        logger.debug({ err }, 'could not announce the leave');
      }
    },
    stop() {
      if (beat !== undefined) clearInterval(beat);
      for (const s of subs) if (!s.isClosed()) s.unsubscribe();
    },
  };
}
