/**
 * Where a history runs: a temp directory (the LMDB log for the embedded engine, and the views
 * for both) plus, on the NATS engine, one JetStream stream pair with its own subject prefix on the
 * run's shared nats-server, over ONE connection per test file. Opening a store is the per-history
 * cost, so everything in a history (app restarts, projections, rebuilds, re-runs) reuses it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Account, Customer, Order } from '../../../actors/index.js';
import { exampleProjections } from '../../../projections/index.js';
import {
  createApp,
  createProjections,
  defineAggregate,
  type AnyAggregateDefinition,
  type App,
  type EventLog,
  type NatsApp,
  type Projections,
} from '../../../src/index.js';
import { sharedNatsUrl, uniqueName } from '../../support/sharedNats.js';
import type { ReadConfig, WriteConfig } from '../arbitraries.js';

export type EngineName = 'embedded' | 'nats';
export const ENGINES: readonly EngineName[] = ['embedded', 'nats'];

/** One history's storage. */
export type Store = {
  readonly engine: EngineName;
  readonly dir: string;
  readonly stream?: string;
  readonly prefix?: string;
  dispose(): Promise<void>;
};

let connection: Promise<NatsConnection> | undefined;

/** The test file's NATS connection, opened on first use. */
function natsConnection(): Promise<NatsConnection> {
  connection ??= connect({ servers: sharedNatsUrl(), noAsyncTraces: true });
  return connection;
}

/** Closes the test file's NATS connection (call in afterAll). */
export async function closeNats(): Promise<void> {
  const nc = await connection;
  connection = undefined;
  await nc?.close();
}

// These properties are about determinism, not durability (test/faults and test/projection cover
// crashes): on Linux the stores live on tmpfs, where LMDB's syncs cost nothing and a history's
// views open in ~2 ms instead of ~50. PROP_TMPDIR overrides the choice.
function tempRoot(): string {
  const chosen = process.env.PROP_TMPDIR;
  if (chosen) return chosen;
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

const root = tempRoot();
const PREFIX = 'trib-prop-';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

// A killed test process cannot clean up, and tmpfs is memory: remove what dead processes left.
for (const name of fs.readdirSync(root)) {
  const pid = name.startsWith(PREFIX) ? Number(name.slice(PREFIX.length).split('-')[0]) : Number.NaN;
  if (Number.isSafeInteger(pid) && pid > 0 && !alive(pid)) fs.rmSync(path.join(root, name), { recursive: true, force: true });
}

export async function createStore(engine: EngineName): Promise<Store> {
  const dir = fs.mkdtempSync(path.join(root, `${PREFIX}${process.pid}-`));
  if (engine === 'embedded') {
    return { engine, dir, dispose: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const nc = await natsConnection();
  const stream = uniqueName('PROP');
  const prefix = stream.toLowerCase();
  return {
    engine,
    dir,
    stream,
    prefix,
    async dispose() {
      fs.rmSync(dir, { recursive: true, force: true });
      const jsm = await jetstreamManager(nc);
      for (const name of [stream, `${stream}_SNAPSHOTS`, `KV_${stream}_KEYS`]) await jsm.streams.delete(name).catch(() => false);
    },
  };
}

const base: readonly AnyAggregateDefinition[] = [Account, Order, Customer];

/**
 * The example aggregates, with the given snapshot intervals. An aggregate with personal data
 * (Customer) takes none: a snapshot would hold its personal data in the clear.
 */
export function aggregates(snapshotEvery: WriteConfig['snapshotEvery'] = {}): AnyAggregateDefinition[] {
  return base.map((d) => {
    const every = snapshotEvery[d.name as keyof WriteConfig['snapshotEvery']];
    if (every === undefined || d.personal !== undefined) return d;
    return defineAggregate({ name: d.name, machine: d.machine, commands: d.commands, events: d.events, versions: d.versions, snapshotEvery: every });
  });
}

/** Opens the app on the store (embedded: `<dir>/app`; NATS: the store's stream, memory storage). */
export async function openApp(store: Store, config: Partial<WriteConfig> = {}): Promise<App | NatsApp> {
  const common = { aggregates: aggregates(config.snapshotEvery), maxActors: config.maxActors };
  if (store.engine === 'embedded') return createApp({ engine: 'embedded', dataDir: path.join(store.dir, 'app'), ...common });
  return createApp({ engine: 'nats', nc: await natsConnection(), stream: store.stream, prefix: store.prefix, storage: 'memory', ...common });
}

export const isNatsApp = (app: App | NatsApp): app is NatsApp => 'remote' in app;

let views = 0;

/** Opens the example projections over `log`, in `<dir>/<name>` (a fresh directory unless `name` is reused). */
export function openProjections(store: Store, log: EventLog, config: Partial<ReadConfig> & { name?: string } = {}): Promise<Projections> {
  return createProjections({
    log,
    path: path.join(store.dir, config.name ?? `views-${++views}`),
    projections: exampleProjections,
    maxBatch: config.maxBatch,
    maxDelay: config.maxDelay,
    shareReads: config.shareReads,
  });
}
