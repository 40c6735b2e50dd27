import fs from 'node:fs';
import path from 'node:path';
import { jetstreamManager, JetStreamApiError } from '@nats-io/jetstream';
import { ConfigError } from '../errors.js';
import type { Commit, EventEnvelope, EventLog } from '../eventLog/eventLog.js';
import { createLmdbEventLog } from '../eventLog/lmdb/createLmdbEventLog.js';
import { connectNats } from '../eventLog/nats/connectNats.js';
import { createNatsEventLog } from '../eventLog/nats/createNatsEventLog.js';
import type { Logger } from '../logging/logger.js';
import type { Settings } from './config/settings.js';
import { embeddedDataDir } from './readSide.js';

const STREAM_NOT_FOUND = 10059;

/**
 * Opens the event log that `settings` point at, to read it: `<dataDir>/log` on the embedded
 * engine (it must exist), the JetStream stream on NATS (it must exist: inspecting never creates
 * one). Reading takes no writer lock, so a running app may keep appending meanwhile.
 *
 * @example
 * ```ts
 * const log = await openLogToRead(settings, logger);
 * console.log(await log.headPosition());
 * await log.close();
 * ```
 */
export async function openLogToRead(settings: Settings, logger: Logger): Promise<EventLog> {
  if (settings.engine === 'embedded') {
    const logDir = path.join(embeddedDataDir(settings), 'log');
    if (!fs.existsSync(path.join(logDir, 'data.mdb'))) {
      throw new ConfigError(`there is no event log in ${logDir}: --data-dir is the directory an embedded app keeps its data in`, { dataDir: settings.dataDir });
    }
    return createLmdbEventLog({ path: logDir, logger });
  }
  const nc = await connectNats({ ...settings.connect, maxReconnectAttempts: 0 });
  try {
    await (await jetstreamManager(nc)).streams.info(settings.stream);
  } catch (err) {
    await nc.close();
    if (err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND) {
      throw new ConfigError(`there is no JetStream stream ${settings.stream} on ${nc.getServer()}: give --stream (or nats.stream in the config)`, {
        stream: settings.stream,
      });
    }
    throw err;
  }
  const log = await createNatsEventLog({ nc, stream: settings.stream, prefix: settings.prefix, logger });
  return {
    ...log,
    // The log leaves a connection it was given open.
    async close() {
      await log.close();
      await nc.drain().catch(() => undefined);
    },
  };
}

/**
 * One commit as the inspection verbs print it: a JSON line with its position, the aggregate's
 * version after it, the time (ISO 8601), the ids and the events (`type`, `version`, `data`).
 *
 * @example
 * ```ts
 * process.stdout.write(`${JSON.stringify(commitLine(commit))}\n`);
 * ```
 */
export function commitLine(commit: Commit): Record<string, unknown> {
  return {
    position: commit.position,
    aggregate: commit.aggregate,
    id: commit.id,
    version: commit.version,
    time: new Date(commit.timestamp).toISOString(),
    commandId: commit.commandId,
    correlationId: commit.correlationId,
    causationId: commit.causationId,
    events: commit.events.map((e) => ({ type: e.type, version: e.version, data: e.data })),
  };
}

/**
 * Groups one aggregate's envelopes (in version order) back into its commits.
 *
 * @example
 * ```ts
 * for (const commit of commitsOf(await log.readStream('Account', 'a-1'))) console.log(commit.position);
 * ```
 */
export function commitsOf(envelopes: readonly EventEnvelope[]): Commit[] {
  const commits: Commit[] = [];
  let events: EventEnvelope[] = [];
  const flush = () => {
    const last = events.at(-1);
    if (last === undefined) return;
    const { position, aggregate, id, version, timestamp, commandId, correlationId, causationId } = last;
    commits.push({ position, aggregate, id, version, timestamp, commandId, correlationId, causationId, events });
    events = [];
  };
  for (const envelope of envelopes) {
    if (events.length > 0 && events[0]!.position !== envelope.position) flush();
    events.push(envelope);
  }
  flush();
  return commits;
}
