import path from 'node:path';
import { Account } from '../../actors/index.js';
import { createAggregateRegistry } from '../../src/aggregate/aggregateRegistry.js';
import { createDispatch, type Dispatch } from '../../src/commands/dispatch.js';
import type { EventLog } from '../../src/eventLog/eventLog.js';
import type { NatsEventLog } from '../../src/eventLog/nats/createNatsEventLog.js';
import { createLogger } from '../../src/logging/logger.js';
import { createLmdbProcessStore, openProcessEnvironment } from '../../src/process/lmdbProcessStore.js';
import { createNatsProcessJournal } from '../../src/process/nats/natsProcessJournal.js';
import type { ProcessStore } from '../../src/process/processStore.js';
import { openLogFrom, type LogSpec } from '../projection/support.js';
import { ProbeTarget } from './probe.js';

/** A log with the write side of the Probe tests on it, on either engine. */
export async function openWriter(spec: LogSpec): Promise<{ log: EventLog; send: Dispatch; close(): Promise<void> }> {
  const logger = createLogger();
  const log = await openLogFrom(spec);
  const registry = createAggregateRegistry({ log, logger });
  const send = createDispatch({ aggregates: [ProbeTarget, Account], registry, logger });
  return {
    log,
    send,
    async close() {
      await registry.close();
      await log.close();
    },
  };
}

/** The Probe process's store, read back: LMDB under `dataDir`, or its JetStream journal. */
export function probeStore(spec: LogSpec, log: EventLog, dataDir: string): { store: ProcessStore; close(): Promise<void> } {
  if (spec.engine === 'nats') {
    const nats = log as NatsEventLog;
    return { store: createNatsProcessJournal({ nc: nats.connection, stream: `${spec.stream}_PROCESSES`, prefix: spec.prefix, name: 'Probe', node: 'reader' }), close: () => Promise.resolve() };
  }
  const env = openProcessEnvironment(path.join(dataDir, 'processes'));
  return { store: createLmdbProcessStore(env, 'Probe'), close: () => env.close() };
}
