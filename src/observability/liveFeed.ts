import type { ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { OpsSource } from './opsSource.js';
import type { ReadinessBounds } from './health.js';

/**
 * Server-sent events for the dashboard: a `sample` event every `intervalMs` (health, projections,
 * command counts) and `changes` events with the latest view changes, at most `maxChanges` per
 * flush. The view change streams are followed only while a client listens.
 *
 * @example
 * ```ts
 * const feed = createLiveFeed(app, { intervalMs: 1000 });
 * feed.add(res); // res: a ServerResponse of GET /events
 * feed.close();
 * ```
 */
export type LiveFeed = {
  add(res: ServerResponse): void;
  close(): void;
};

/**
 * Options of {@link createLiveFeed}.
 *
 * @example
 * ```ts
 * const options: LiveFeedOptions = { intervalMs: 500, bounds: { maxLagSeconds: 30 } };
 * ```
 */
export type LiveFeedOptions = {
  /** Default 1000. */
  readonly intervalMs?: number;
  /** Default 20. */
  readonly maxChanges?: number;
  readonly bounds?: ReadinessBounds;
};

type Counted = { labels: Record<string, string | number>; value: number };

async function family(app: OpsSource, name: string): Promise<Counted[]> {
  const metric = app.metrics?.registry.getSingleMetric(name);
  if (metric === undefined) return [];
  return (await metric.get()).values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

// Rows keyed by one label, one column per metric: what the page's process and shard tables show.
async function rows(app: OpsSource, label: string, columns: Record<string, string>): Promise<Array<Record<string, string | number>>> {
  const byKey = new Map<string, Record<string, string | number>>();
  for (const [column, name] of Object.entries(columns)) {
    for (const v of await family(app, name)) {
      const key = String(v.labels[label]);
      const row = byKey.get(key) ?? { [label]: key };
      row[column] = Number(row[column] ?? 0) + v.value;
      byKey.set(key, row);
    }
  }
  return [...byKey.values()];
}

const PROCESS_COLUMNS = {
  outbox: 'tributary_process_outbox_commands',
  timers: 'tributary_process_timers_pending',
  lag: 'tributary_process_lag_commits',
  halted: 'tributary_process_halted_instances',
};
const SHARD_COLUMNS = { owned: 'tributary_shards_owned', nodes: 'tributary_write_nodes', forwarded: 'tributary_commands_forwarded_total' };

/**
 * Creates the feed of one server.
 *
 * @example
 * ```ts
 * const feed = createLiveFeed(app);
 * ```
 */
export function createLiveFeed(app: OpsSource, options: LiveFeedOptions = {}): LiveFeed {
  const { intervalMs = 1000, maxChanges = 20, bounds } = options;
  const clients = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;
  let flusher: NodeJS.Timeout | undefined;
  let follows: Subscription[] = [];
  let pending: unknown[] = [];
  let dropped = 0;

  const send = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of clients) res.write(frame);
  };

  const tick = async () => {
    try {
      const [health, commands, processes, shards] = await Promise.all([
        app.health(bounds),
        family(app, 'tributary_commands_total'),
        rows(app, 'process', PROCESS_COLUMNS),
        rows(app, 'aggregate', SHARD_COLUMNS),
      ]);
      send('sample', { at: Date.now(), health, commands, processes, shards });
    } catch (err) {
      send('sample', { at: Date.now(), error: err instanceof Error ? err.message : String(err) });
    }
  };

  const flush = () => {
    if (pending.length === 0) return;
    send('changes', { changes: pending, dropped });
    pending = [];
    dropped = 0;
  };

  const start = () => {
    timer = setInterval(() => void tick(), intervalMs);
    flusher = setInterval(flush, Math.min(250, intervalMs));
    follows = app.projections.names.map((name) =>
      app.projections.get(name).changes$.subscribe((change) => {
        pending.push(change);
        if (pending.length > maxChanges) {
          pending.shift();
          dropped++;
        }
      }),
    );
  };

  const stop = () => {
    clearInterval(timer);
    clearInterval(flusher);
    for (const s of follows) s.unsubscribe();
    follows = [];
    pending = [];
  };

  return {
    add(res) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
      res.write(`retry: ${intervalMs}\n\n`);
      clients.add(res);
      if (clients.size === 1) start();
      void tick();
      res.on('close', () => {
        clients.delete(res);
        if (clients.size === 0) stop();
      });
    },
    close() {
      stop();
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
