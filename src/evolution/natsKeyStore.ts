import { JetStreamApiError, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { decode, encode } from '../codec/msgpack.js';
import { CodecError } from '../errors.js';
import { natsFailure } from '../eventLog/nats/natsFailure.js';
import { asSubjectKey, type KeyStore } from './keyStore.js';
import { newSubjectKey, type SubjectKey } from './sealFields.js';

// KV keys allow fewer characters than subject ids; base64url of the subject always fits.
const kvKey = (subject: string) => Buffer.from(subject).toString('base64url');

/**
 * The key store of the NATS engine: a JetStream KV bucket (`<stream>_KEYS`, history 1). A key is
 * created with `kv.create` (expected last subject sequence 0, which nats-server serialises even
 * on clusters), so concurrent writers agree on one key; `forget` purges the subject, which
 * removes the key message from the stream.
 *
 * @example
 * ```ts
 * const keys = await createNatsKeyStore({ nc, bucket: 'TRIBUTARY_KEYS' });
 * ```
 */
export async function createNatsKeyStore(options: {
  readonly nc: NatsConnection;
  readonly bucket: string;
  readonly replicas?: number;
  /** The event streams' storage: keys kept on file for events kept in memory would outlive them, and the reverse lose them. */
  readonly storage?: 'file' | 'memory';
}): Promise<KeyStore> {
  const settings = {
    history: 1,
    ...(options.replicas !== undefined && { replicas: options.replicas }),
    ...(options.storage !== undefined && { storage: options.storage === 'memory' ? StorageType.Memory : StorageType.File }),
  };
  let kv: KV | undefined;
  for (let attempt = 1; kv === undefined; attempt++) {
    try {
      kv = await new Kvm(options.nc).create(options.bucket, settings);
    } catch (err) {
      // nats-server answers a stream creation that raced a busy file store with a 500 ("error
      // creating store for stream"); the same creation a moment later succeeds.
      if (attempt < 3 && err instanceof JetStreamApiError && err.status === 500) {
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
        continue;
      }
      throw natsFailure(err, `opening the key bucket ${options.bucket}`);
    }
  }
  const read = async (subject: string): Promise<SubjectKey | undefined> => {
    let entry;
    try {
      entry = await kv.get(kvKey(subject));
    } catch (err) {
      throw natsFailure(err, `reading the key of data subject ${JSON.stringify(subject)}`);
    }
    if (entry === null || entry.operation !== 'PUT') return undefined;
    const key = asSubjectKey(decode(entry.value));
    if (key === undefined) throw new CodecError(`the stored key of data subject ${JSON.stringify(subject)} has the wrong shape`, { subject });
    return key;
  };
  return {
    get: read,
    async getOrCreate(subject) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const known = await read(subject);
        if (known !== undefined) return known;
        const fresh = newSubjectKey();
        try {
          await kv.create(kvKey(subject), encode(fresh));
          return fresh;
        } catch {
          // Another writer created it first (or it was forgotten in between): read again.
        }
      }
      const known = await read(subject);
      if (known !== undefined) return known;
      throw natsFailure(new Error('the key could neither be created nor read'), `creating the key of data subject ${JSON.stringify(subject)}`);
    },
    async forget(subject) {
      try {
        await kv.purge(kvKey(subject));
      } catch (err) {
        throw natsFailure(err, `forgetting data subject ${JSON.stringify(subject)}`);
      }
    },
    close: () => Promise.resolve(),
  };
}
