import { connect, createInbox, type Msg } from '@nats-io/transport-node';
import { decode, encode } from '../../src/codec/msgpack.js';
import type { CommandResult } from '../../src/index.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import type { RemoteClientResult } from './remoteClient.js';
import { percentile } from './report.js';
import { createW1 } from './w1.js';

/**
 * The bare W1 client of the command service's ceiling, in its own process: the same seeded
 * workload and window as `remoteClient.ts`, but no command client around the requests: each
 * command is msgpack-encoded in its wire form and published to `<prefix>.cmd.Account.<id>` with a
 * reply subject under ONE wildcard inbox subscription; each reply is msgpack-decoded. No timers,
 * no retries (a lost reply would hang the run, which then fails loudly). Prints a
 * {@link RemoteClientResult}.
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
  const inbox = `${createInbox()}.`;
  const waiting = new Map<number, (r: CommandResult) => void>();
  let next = 0;
  const sub = nc.subscribe(`${inbox}*`, {
    callback: (err: Error | null, msg: Msg) => {
      if (err) return;
      const id = Number(msg.subject.slice(inbox.length));
      const resolve = waiting.get(id);
      if (resolve === undefined) return;
      waiting.delete(id);
      resolve(decode(msg.data) as CommandResult);
    },
  });
  const send = (c: (typeof w1.operations)[number]): Promise<CommandResult> => {
    const id = ++next;
    const data = encode({ type: c.type, aggregate: c.aggregate, id: c.id, payload: c.payload, commandId: c.commandId });
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      nc.publish(`${prefix}.cmd.Account.${c.id}`, data, { reply: inbox + id });
    });
  };
  const result: RemoteClientResult = { seconds: 0, p50: 0, p99: 0, opened: 0, accepted: 0, rejected: 0, errors: [] };
  const tally = (r: CommandResult, opening: boolean) => {
    if (r.ok) {
      if (opening) result.opened++;
      else result.accepted++;
    } else if (!opening && r.error.code === 'rejected' && r.error.details?.reason === 'InsufficientFunds') result.rejected++;
    else result.errors.push(`${r.error.code}: ${r.error.message}`);
  };
  try {
    await runWindowed(w1.open, Number(window), send, (r) => tally(r, true));
    const t0 = performance.now();
    const latencies = await runWindowed(w1.operations, Number(window), send, (r) => tally(r, false));
    result.seconds = (performance.now() - t0) / 1000;
    result.p50 = percentile(Array.from(latencies), 50);
    result.p99 = percentile(Array.from(latencies), 99);
  } finally {
    sub.unsubscribe();
    await nc.drain();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
