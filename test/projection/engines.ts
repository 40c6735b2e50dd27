import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { EventLog } from '../../src/eventLog/eventLog.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';
import { openLogFrom, type LogSpec } from './support.js';

/** The engines every projection test runs on: `describe.each(ENGINES)('... (%s)', (engine) => ...)`. */
export const ENGINES = ['embedded', 'nats'] as const;
export type TestEngine = (typeof ENGINES)[number];

/**
 * A test's event log on one engine, plus a temp directory for its views: on NATS a stream and
 * subject prefix of its own on the shared server, deleted by `cleanup`.
 */
export type TestLog = {
  readonly engine: TestEngine;
  /** Temp directory for views (and the LMDB log, on the embedded engine). */
  readonly dir: string;
  readonly spec: LogSpec;
  /** Opens the log (again: a new handle, on the same data). */
  open(): Promise<EventLog>;
  cleanup(): Promise<void>;
};

export function testLog(engine: TestEngine): TestLog {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-'));
  let spec: LogSpec;
  if (engine === 'embedded') spec = { engine, path: path.join(dir, 'log') };
  else {
    const stream = uniqueName('PROJ');
    spec = { engine, servers: sharedNatsUrl(), stream, prefix: stream.toLowerCase() };
  }
  return {
    engine,
    dir,
    spec,
    open: () => openLogFrom(spec),
    async cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
      if (spec.engine !== 'nats') return;
      const nc = await connect({ servers: spec.servers });
      try {
        const jsm = await jetstreamManager(nc);
        for (const name of [spec.stream, `${spec.stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
      } finally {
        await nc.close();
      }
    },
  };
}
