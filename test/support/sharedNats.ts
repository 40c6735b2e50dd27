import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { inject } from 'vitest';

/**
 * The URL of the nats-server that globalSetup started for this run. Throws the reason when it
 * could not start (for example: install nats-server with
 * `apt-get update && apt-get install -y nats-server`), so NATS tests fail instead of skipping.
 *
 * @example
 * ```ts
 * const log = await createNatsEventLog({ servers: sharedNatsUrl(), stream: uniqueName('T') });
 * ```
 */
export function sharedNatsUrl(): string {
  const url = inject('natsUrl');
  if (!url) throw new Error(inject('natsError') || 'the shared nats-server was not started (is globalSetup configured?)');
  return url;
}

let counter = 0;

/**
 * A stream name or subject prefix that no other test (or test file) uses.
 *
 * @example
 * ```ts
 * const stream = uniqueName('CONF'); // 'CONF_l9x3k2_1'
 * ```
 */
export function uniqueName(base: string): string {
  counter += 1;
  return `${base}_${process.pid.toString(36)}${Date.now().toString(36)}_${counter}`;
}

/**
 * Deletes these streams and their snapshot streams from the shared server, if they exist.
 *
 * @example
 * ```ts
 * afterAll(() => deleteStreams(streams));
 * ```
 */
export async function deleteStreams(streams: readonly string[]): Promise<void> {
  if (streams.length === 0) return;
  const nc = await connect({ servers: sharedNatsUrl() });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of streams.flatMap((s) => [s, `${s}_SNAPSHOTS`])) await jsm.streams.delete(name).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
