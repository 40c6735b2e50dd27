import { connect } from '@nats-io/transport-node';
import { decode, encode } from '../../src/codec/msgpack.js';
import type { Command, CommandResult } from '../../src/index.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import { createClientTally } from './clientTally.js';
import { percentile } from './report.js';
import { createReplyInbox } from './replyInbox.js';
import { createW1 } from './w1.js';

/**
 * The bare W1 client of the command service's ceiling, in its own process: the same seeded
 * workload and window as `remoteClient.ts`, but no command client around the requests: each
 * command is msgpack-encoded in its wire form and published to `<prefix>.cmd.Account.<id>` with a
 * reply subject under ONE wildcard inbox subscription; each reply is msgpack-decoded. No timers,
 * no retries (a lost reply would hang the run, which then fails loudly). Prints a
 * `RemoteClientResult`.
 *
 * Run as `node --import tsx bench/support/serviceCeilingClient.ts <url> <prefix> <accounts> <operations> <window>`.
 *
 * @example
 * ```ts
 * await runClientProcess(new URL('./serviceCeilingClient.ts', import.meta.url), [url, 'svc', '10000', '100000', '1000']);
 * ```
 */
async function main(): Promise<void> {
  const [url, prefix, accounts, operations, window] = process.argv.slice(2);
  const w1 = createW1({ accounts: Number(accounts), operations: Number(operations) });
  const nc = await connect({ servers: url, name: 'bench-service-ceiling-client', noAsyncTraces: true });
  const inbox = createReplyInbox(nc, (data) => decode(data) as CommandResult);
  const send = (c: Command): Promise<CommandResult> =>
    inbox.request(`${prefix}.cmd.Account.${c.id}`, encode({ type: c.type, aggregate: c.aggregate, id: c.id, payload: c.payload, commandId: c.commandId }));
  const { result, tally } = createClientTally();
  try {
    await runWindowed(w1.open, Number(window), send, (r) => tally(r, true));
    const t0 = performance.now();
    const latencies = await runWindowed(w1.operations, Number(window), send, (r) => tally(r, false));
    result.seconds = (performance.now() - t0) / 1000;
    result.p50 = percentile(Array.from(latencies), 50);
    result.p99 = percentile(Array.from(latencies), 99);
  } finally {
    inbox.close();
    await nc.drain();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
