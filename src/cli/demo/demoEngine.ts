import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Account, createFulfilment, Customer, Inventory, Order } from '../../../actors/index.js';
import { createApp, type App } from '../../createApp.js';
import { ConfigError } from '../../errors.js';
import { connectNats, redactServers, resolveNatsConnectOptions } from '../../eventLog/nats/connectNats.js';
import type { Logger } from '../../logging/logger.js';

/**
 * The app a demo runs on, where its views go, and how to clean up after it.
 *
 * @example
 * ```ts
 * const engine = await openDemoEngine({ engine: 'embedded', logger });
 * await engine.app.send(command);
 * await engine.dispose();
 * ```
 */
export type DemoEngine = {
  readonly app: App;
  readonly engine: 'embedded' | 'nats';
  /** One line saying where the log lives. */
  readonly where: string;
  /** Directory for the projections' LMDB views. */
  readonly viewsPath: string;
  /** Where the data stays after the run; undefined when everything is removed. */
  readonly kept: string | undefined;
  /** Moves the processes' clock forward, as if that much time had passed. */
  advanceClock(ms: number): void;
  /** Closes the app, then removes what the run created (temp dir, demo streams). */
  dispose(): Promise<void>;
};

/** How long the demo's Fulfilment waits for an order to ship: its default, 10 minutes. @example `engine.advanceClock(DEMO_SHIP_WITHIN + 1000)` */
export const DEMO_SHIP_WITHIN = 10 * 60_000;

/**
 * Options of {@link openDemoEngine}.
 *
 * @example
 * ```ts
 * const options: DemoEngineOptions = { engine: 'nats', dataDir: './demo-data', logger };
 * ```
 */
export type DemoEngineOptions = {
  readonly engine: 'embedded' | 'nats';
  /** Kept after the run; must be empty or absent. Default: a temp dir, removed at the end. */
  readonly dataDir?: string;
  readonly logger: Logger;
};

const AGGREGATES = [Order, Account, Customer, Inventory];

// The demo checks its numbers against a model that starts empty, so it needs a fresh log.
function prepareDataDir(dataDir: string | undefined): { dir: string; temporary: boolean } {
  if (dataDir === undefined) return { dir: fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-demo-')), temporary: true };
  const dir = path.resolve(dataDir);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    throw new ConfigError(`--data-dir ${dir} is not empty; the demo checks its numbers against a fresh log, so give it an empty or new directory`, {
      dataDir: dir,
    });
  }
  fs.mkdirSync(dir, { recursive: true });
  return { dir, temporary: false };
}

/**
 * Opens the example aggregates on the embedded engine (an LMDB log under the data dir) or on NATS
 * (a JetStream stream of its own, `DEMO_<random>` with prefix `demo_<random>`, deleted at the end,
 * with its snapshot and process streams,
 * so that runs never mix and nothing is left on the server). Servers and credentials come from the
 * `NATS_*` environment variables.
 *
 * @example
 * ```ts
 * const engine = await openDemoEngine({ engine: process.env.NATS_URL ? 'nats' : 'embedded', logger });
 * ```
 */
export async function openDemoEngine(options: DemoEngineOptions): Promise<DemoEngine> {
  const { dir, temporary } = prepareDataDir(options.dataDir);
  const removeTemp = () => {
    if (temporary) fs.rmSync(dir, { recursive: true, force: true });
  };
  const kept = temporary ? undefined : dir;
  const viewsPath = path.join(dir, 'views');
  // The demo cannot wait ten minutes for its orders to time out: it moves the processes' clock.
  let offset = 0;
  const processing = {
    processes: [createFulfilment({ shipWithin: DEMO_SHIP_WITHIN })],
    processOptions: { clock: () => Date.now() + offset },
  };
  const advanceClock = (ms: number) => {
    offset += ms;
  };
  try {
    if (options.engine === 'embedded') {
      const app = await createApp({ engine: 'embedded', dataDir: dir, aggregates: AGGREGATES, logger: options.logger, ...processing });
      return {
        app,
        engine: 'embedded',
        where: `LMDB at ${path.join(dir, 'log')} (${temporary ? 'temporary' : 'kept'})`,
        viewsPath,
        kept,
        advanceClock,
        async dispose() {
          await app.close();
          removeTemp();
        },
      };
    }
    const tag = randomBytes(4).toString('hex');
    const nc = await connectNats({ name: 'tributary-demo' });
    try {
      const app = await createApp({
        engine: 'nats',
        nc,
        stream: `DEMO_${tag}`,
        prefix: `demo_${tag}`,
        serveCommands: false,
        aggregates: AGGREGATES,
        logger: options.logger,
        dataDir: dir,
        ...processing,
      });
      return {
        app,
        engine: 'nats',
        where: `JetStream ${app.log.stream} at ${redactServers(resolveNatsConnectOptions().servers)} (temporary)`,
        viewsPath,
        kept,
        advanceClock,
        async dispose() {
          await app.close();
          const jsm = await jetstreamManager(nc);
          // The key bucket of the customers' personal data is the stream KV_<stream>_KEYS.
          await Promise.allSettled([app.log.stream, app.log.snapshotStream, `${app.log.stream}_PROCESSES`, `KV_${app.log.stream}_KEYS`].map((s) => jsm.streams.delete(s)));
          await nc.drain();
          removeTemp();
        },
      };
    } catch (err) {
      await nc.close();
      throw err;
    }
  } catch (err) {
    removeTemp();
    throw err;
  }
}
