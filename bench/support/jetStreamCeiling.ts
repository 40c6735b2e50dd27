import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { CommandResult } from '../../src/index.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import type { CeilingCore } from './ceilingCore.js';
import { createCeilingHost } from './ceilingHost.js';
import { addLogStream } from './jetStreamRaw.js';
import { measureCost } from './stageBudget.js';
import type { W1 } from './w1.js';

/**
 * The JetStream ceiling: the raw publish baseline (the same publisher, headers and window) with
 * the host's unavoidable CPU done in this process for every message (`createCeilingHost`: the
 * payload check, decide with the event check, the msgpack encode of the commit record, and after
 * the ack the stored envelope and evolve; a rejection stored as a refusal). On two cores this
 * process shares the CPU with nats-server, so its rate against raw publish is the best ratio this
 * design can reach in-process. Verified against the model and the stream's message count.
 *
 * @example
 * ```ts
 * const run = await runJetStreamCeiling(nc, xstateCore(), w1, 'CEILING', 1000);
 * console.log(run.accepted / run.seconds, run.ok);
 * ```
 */
export async function runJetStreamCeiling<S>(nc: NatsConnection, core: CeilingCore<S>, w1: W1, stream: string, window: number) {
  const prefix = stream.toLowerCase();
  const jsm = await jetstreamManager(nc);
  await addLogStream(jsm, stream, prefix, { refusals: true });
  const host = createCeilingHost(nc, core, prefix);
  const counts = { opened: 0, accepted: 0, rejected: 0 };
  const tally = (opening: boolean) => (r: CommandResult) => {
    if (r.ok) counts[opening ? 'opened' : 'accepted']++;
    else if (r.error.code === 'rejected') counts.rejected++;
  };
  try {
    await runWindowed(w1.open, window, host.send, tally(true));
    let seconds = 0;
    let latencies: Float64Array = new Float64Array(0);
    const cost = await measureCost(w1.operations.length, async () => {
      const t0 = performance.now();
      latencies = await runWindowed(w1.operations, window, host.send, tally(false));
      seconds = (performance.now() - t0) / 1000;
    });
    const stored = (await jsm.streams.info(stream)).state.messages;
    const ok = host.check(w1, counts) && stored === w1.open.length + w1.operations.length;
    if (!ok) console.error(`JetStream ceiling ${stream}: ${stored} stored`);
    await jsm.streams.delete(stream);
    return { seconds, accepted: counts.accepted, rejected: counts.rejected, latencies, cost, ok };
  } finally {
    host.close();
  }
}
