import { connect } from '@nats-io/transport-node';
import { expect, it } from 'vitest';
import { createShardOwnership } from '../../src/commands/shardOwnership.js';
import { createLogger } from '../../src/logging/logger.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

const logger = createLogger({ level: 'silent' });

async function until(check: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - start;
}

it('a write node whose connection is gone loses its shards at once, not when its lease runs out', async () => {
  const prefix = uniqueName('dead').toLowerCase();
  const [ncA, ncB] = await Promise.all([connect({ servers: sharedNatsUrl() }), connect({ servers: sharedNatsUrl() })]);
  const options = { prefix, aggregates: ['Account'], heartbeatMs: 100, leaseMs: 20_000, logger };
  const a = createShardOwnership({ ...options, nc: ncA, nodeId: 'a' });
  const b = createShardOwnership({ ...options, nc: ncB, nodeId: 'b' });
  try {
    await Promise.all([a.join(), b.join()]);
    await until(() => a.members('Account').length === 2, 5000);
    // No leave announced: as after kill -9, the server just drops the connection.
    await ncB.close();
    const took = await until(() => a.members('Account').length === 1, 5000);
    expect(a.members('Account')).toEqual(['a']);
    expect(took).toBeLessThan(5000);
  } finally {
    a.stop();
    b.stop();
    await ncA.close();
  }
});
