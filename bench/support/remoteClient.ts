import { connect } from '@nats-io/transport-node';
import { createCommandClient } from '../../src/internal.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import { createClientTally } from './clientTally.js';
import { percentile } from './report.js';
import { createW1 } from './w1.js';

/**
 * What a W1 client process reports on stdout (one JSON line) when it is done.
 *
 * @example
 * ```ts
 * const result = JSON.parse(stdout) as RemoteClientResult;
 * ```
 */
export type RemoteClientResult = {
  seconds: number;
  p50: number;
  p99: number;
  opened: number;
  accepted: number;
  rejected: number;
  errors: string[];
};

/**
 * A W1 client in its own process, as a real client would be: it regenerates the same seeded
 * workload, sends the OpenAccount commands (untimed), then the operations with `window` in
 * flight over the NATS command service, and prints a {@link RemoteClientResult}.
 *
 * Run as `node --import tsx bench/support/remoteClient.ts <url> <prefix> <accounts> <operations> <window>`.
 *
 * @example
 * ```ts
 * spawn(process.execPath, ['--import', 'tsx', 'bench/support/remoteClient.ts', url, 'w1', '10000', '100000', '1000']);
 * ```
 */
async function main(): Promise<void> {
  const [url, prefix, accounts, operations, window] = process.argv.slice(2);
  const w1 = createW1({ accounts: Number(accounts), operations: Number(operations) });
  const nc = await connect({ servers: url, name: 'bench-remote-client', noAsyncTraces: true });
  const client = createCommandClient({ nc, prefix, timeout: 30_000 });
  const { result, tally } = createClientTally();
  try {
    await runWindowed(w1.open, Number(window), (c) => client.send(c), (r) => tally(r, true));
    const t0 = performance.now();
    const latencies = await runWindowed(w1.operations, Number(window), (c) => client.send(c), (r) => tally(r, false));
    result.seconds = (performance.now() - t0) / 1000;
    result.p50 = percentile(Array.from(latencies), 50);
    result.p99 = percentile(Array.from(latencies), 99);
  } finally {
    await client.close();
    await nc.drain();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
