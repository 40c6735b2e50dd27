import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { EventLog } from '../eventLog/eventLog.js';
import type { NatsEventLog } from '../eventLog/nats/createNatsEventLog.js';
import { createEventCatalog, type EventCatalog } from './eventCatalog.js';
import type { EventSchemaSource } from './eventSchemas.js';
import { createEvolvingLog } from './evolvingLog.js';
import type { KeyStore } from './keyStore.js';
import { createLmdbKeyStore } from './lmdbKeyStore.js';
import { createNatsKeyStore } from './natsKeyStore.js';

/**
 * An app's event evolution: the log its parts read and write (upcast and sealed, see
 * `createEvolvingLog`), the catalog, and `forget`. Closing the log closes the key store too.
 *
 * @example
 * ```ts
 * const { log, forget } = await openEvolution({ engine: 'embedded', dataDir, aggregates }, raw);
 * ```
 */
export type Evolution = {
  readonly log: EventLog;
  readonly catalog: EventCatalog;
  forget(subject: string): Promise<void>;
};

/**
 * Builds the catalog of the definitions and, when they mark personal fields, opens the key store
 * beside the log: `<dataDir>/keys` (LMDB) on the embedded engine, the KV bucket `<stream>_KEYS`
 * (with the stream's replicas) on NATS. Without versions or personal fields the log is returned
 * as it is, so that apps which use neither pay nothing.
 *
 * @example
 * ```ts
 * const evolution = await openEvolution({ engine: 'nats', aggregates: [Customer], replicas: 3 }, natsLog);
 * ```
 */
export async function openEvolution(
  options: {
    readonly engine: string;
    readonly dataDir?: string;
    readonly replicas?: number;
    readonly storage?: 'file' | 'memory';
    readonly aggregates: readonly EventSchemaSource[];
  },
  log: EventLog,
): Promise<Evolution> {
  const catalog = createEventCatalog(options.aggregates);
  if (!catalog.active) return { log, catalog, forget: () => Promise.resolve() };
  let keys: KeyStore | undefined;
  if (catalog.personalAggregates.size > 0) {
    if (log.engine === 'nats') {
      const nats = log as NatsEventLog;
      keys = await createNatsKeyStore({ nc: nats.connection, bucket: `${nats.stream}_KEYS`, replicas: options.replicas, storage: options.storage });
    } else {
      if (options.dataDir === undefined) throw new ConfigError('personal data needs `dataDir`: the keys live in <dataDir>/keys');
      keys = createLmdbKeyStore({ path: path.join(options.dataDir, 'keys') });
    }
  }
  const evolving = createEvolvingLog({ log, catalog, keys });
  return {
    log: {
      ...evolving,
      async close() {
        await evolving.close();
        await keys?.close();
      },
    },
    catalog,
    forget: (subject) => evolving.forget(subject),
  };
}
