import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLmdbEventLog } from '../../src/eventLog/lmdb/createLmdbEventLog.js';
import { createNatsEventLog } from '../../src/eventLog/nats/createNatsEventLog.js';
import type { EventLog } from '../../src/eventLog/eventLog.js';
import { createProjections, type Projections } from '../../src/projection/createProjections.js';
import { defineProjection, type ProjectionDefinition } from '../../src/projection/defineProjection.js';

/** A fresh temp directory per call; removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export type Count = { count: number; sum: number; last: number };
export type CounterEvents = { Incremented: { by: number }; Reset: Record<string, never> };

/**
 * Counts events per counter and in total: applying an event twice, or skipping one, shows in
 * `count` (and `sum`), and `last` shows order.
 */
export const Counter = defineProjection<Count, CounterEvents>({
  name: 'Counter',
  from: ['Counter'],
  handlers: {
    Incremented: (view, event, envelope) => {
      const bump = (c: Count | undefined): Count => {
        if (c && c.last > envelope.position) throw new Error(`out of order: ${envelope.position} after ${c.last}`);
        return { count: (c?.count ?? 0) + 1, sum: (c?.sum ?? 0) + event.data.by, last: envelope.position };
      };
      view.update(envelope.id, bump);
      view.update('total', bump);
    },
    Reset: (view, _event, envelope) => view.delete(envelope.id),
  },
});

let commandSeq = 0;
/** Appends one Incremented commit per id (no concurrency check). */
export async function increment(log: EventLog, id: string, by = 1, events = 1) {
  return log.append('Counter', id, Array.from({ length: events }, () => ({ type: 'Incremented', data: { by } })), {
    commandId: `inc-${process.pid}-${++commandSeq}-${Math.random()}`,
  });
}

export async function openLog(dir: string): Promise<EventLog> {
  return createLmdbEventLog({ path: path.join(dir, 'log') });
}

/**
 * Where a test's event log lives, serialisable so that a child process (crashWorker.ts) can open
 * the same log: an LMDB directory, or a JetStream stream and subject prefix on a server.
 */
export type LogSpec =
  | { readonly engine: 'embedded'; readonly path: string }
  | { readonly engine: 'nats'; readonly servers: string; readonly stream: string; readonly prefix: string };

/** Opens the log a {@link LogSpec} describes (a new connection each time on NATS). */
export function openLogFrom(spec: LogSpec): Promise<EventLog> {
  return spec.engine === 'embedded'
    ? createLmdbEventLog({ path: spec.path })
    : createNatsEventLog({ servers: spec.servers, stream: spec.stream, prefix: spec.prefix });
}

export type GivenCommit = {
  readonly aggregate: string;
  readonly id: string;
  readonly events: readonly { type: string; data: unknown }[];
  /** Envelope timestamp (ms); default a fixed instant, so results never depend on the clock. */
  readonly timestamp?: number;
};

/** 2024-05-01T10:00:00Z */
export const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);

/**
 * Given these commits, run the projections over a real LMDB log and views in a temp directory,
 * wait until they processed the last one, then hand them to `then`.
 */
export async function givenCommits(
  definitions: readonly ProjectionDefinition[],
  commits: readonly GivenCommit[],
  then: (projections: Projections, last: number) => Promise<void>,
): Promise<void> {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  const projections = await createProjections({ log, path: path.join(dir, 'views'), projections: definitions });
  try {
    let last = 0;
    for (const c of commits) {
      last = (await log.append(c.aggregate, c.id, c.events, { commandId: `given-${++commandSeq}`, timestamp: c.timestamp ?? T0 })).position;
    }
    projections.start();
    await Promise.all(definitions.map((d) => projections.get(d).waitFor(last)));
    await then(projections, last);
  } finally {
    await projections.close();
    await log.close();
    cleanup();
  }
}

/** One commit of one event. */
export const commit = (aggregate: string, id: string, type: string, data: unknown = {}, timestamp?: number): GivenCommit => ({
  aggregate,
  id,
  events: [{ type, data }],
  ...(timestamp !== undefined ? { timestamp } : {}),
});
