import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createApp, createLmdbEventLog, type AnyAggregateDefinition, type App, type EventLog, type ProjectionDefinition } from '../../src/index.js';
import { createNatsEventLog } from '../../src/nats.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

import { ENGINES, type TestEngine } from '../projection/engines.js';

export { ENGINES, type TestEngine };

/**
 * One place for a test's data on one engine: a temp dataDir (the LMDB log, keys and views), and
 * on NATS a stream, prefix and key bucket of its own on the shared server. `open` starts an app
 * with the given definitions on that data, again and again (as a deploy of new code would).
 */
export type AppHarness = {
  readonly engine: TestEngine;
  readonly dataDir: string;
  readonly stream: string;
  open(aggregates: readonly AnyAggregateDefinition[], projections?: readonly ProjectionDefinition[]): Promise<App>;
  /** The log itself, without the app's catalog or keys: what is stored, as stored. */
  openRaw(): Promise<EventLog>;
  /** Closes every app opened, deletes the data. */
  cleanup(): Promise<void>;
};

export function appHarness(engine: TestEngine): AppHarness {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-evo-'));
  const stream = uniqueName('EVO');
  const apps: App[] = [];
  return {
    engine,
    dataDir,
    stream,
    async open(aggregates, projections = []) {
      const common = { aggregates, projections, dataDir, projectionOptions: { maxBatch: 50 } };
      const app =
        engine === 'embedded'
          ? await createApp({ engine, ...common })
          : await createApp({ engine, ...common, servers: sharedNatsUrl(), stream, prefix: stream.toLowerCase() });
      apps.push(app);
      return app;
    },
    openRaw() {
      return engine === 'embedded'
        ? createLmdbEventLog({ path: path.join(dataDir, 'log') })
        : createNatsEventLog({ servers: sharedNatsUrl(), stream, prefix: stream.toLowerCase() });
    },
    async cleanup() {
      await Promise.all(apps.splice(0).map((a) => a.close()));
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (engine !== 'nats') return;
      const nc = await connect({ servers: sharedNatsUrl() });
      try {
        const jsm = await jetstreamManager(nc);
        for (const name of [stream, `${stream}_SNAPSHOTS`, `KV_${stream}_KEYS`]) await jsm.streams.delete(name).catch(() => undefined);
      } finally {
        await nc.close();
      }
    },
  };
}

/** Sends a command and throws unless it succeeded. */
export async function ok(app: App, command: Parameters<App['send']>[0]) {
  const r = await app.send(command);
  if (!r.ok) throw new Error(`${command.type} failed: ${r.error.message}`);
  return r;
}
