import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { encodeCommitRecord, toEnvelopes, type CommitRecord } from '../../src/eventLog/commitRecord.js';
import { encodeRefusal } from '../../src/eventLog/nats/refusalRecord.js';
import type { Command } from '../../src/index.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import { refusalOf, type CeilingCore } from './ceilingCore.js';
import { addLogStream, createRawPublisher, type RawAck } from './jetStreamRaw.js';
import { measureCost } from './stageBudget.js';
import type { W1 } from './w1.js';

type Slot<S> = { state: S; version: number; seq: number; tail: Promise<void> };

/**
 * The JetStream ceiling: the raw publish baseline (the same publisher, headers and window) with
 * the host's unavoidable CPU done in this process for every message: the payload check, decide
 * with the event check, the msgpack encode of the commit record, and after the ack the stored
 * envelope and evolve. A rejection is published as the log publishes it (a refusal on
 * `<prefix>.rej.Account.<id>`, deduplicated by the same `Nats-Msg-Id`). One aggregate's
 * commands run one after another (the next decides on the state the previous reached, and
 * expects the sequence its ack gave); all aggregates are in flight. On two cores this process
 * shares the CPU with nats-server, so its rate against raw publish is the best ratio this design
 * can reach. Verified against the model and the stream's message count.
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
  const raw = createRawPublisher(nc);
  const slots = new Map<string, Slot<S>>();
  const failures: string[] = [];
  const timestamp = Date.now();
  let accepted = 0;
  let rejected = 0;
  const failed = (subject: string, ack: RawAck): boolean => {
    if (ack.errCode === 0 && !ack.duplicate) return false;
    failures.push(`${subject}: ${ack.errCode} ${ack.description}${ack.duplicate ? ' duplicate' : ''}`);
    return true;
  };

  const step = async (slot: Slot<S>, c: Command): Promise<void> => {
    const payload = core.validate(c);
    const decision = core.decide(slot.state, c.type, payload);
    const commandId = c.commandId!;
    if (!decision.ok) {
      const subject = `${prefix}.rej.Account.${c.id}`;
      if (!failed(subject, await raw.publish(subject, encodeRefusal(refusalOf(c, decision, timestamp)), commandId, undefined))) rejected++;
      return;
    }
    const version = slot.version + decision.events.length;
    const record: CommitRecord = { aggregate: 'Account', id: c.id, version, commandId, correlationId: commandId, causationId: commandId, timestamp, events: decision.events };
    const subject = `${prefix}.evt.Account.${c.id}`;
    const ack = await raw.publish(subject, encodeCommitRecord(record), commandId, slot.seq);
    if (failed(subject, ack)) return;
    slot.seq = ack.seq;
    let state = slot.state;
    for (const e of toEnvelopes(record, ack.seq)) state = core.evolve(state, e);
    slot.state = state;
    slot.version = version;
    accepted++;
  };

  const send = (c: Command): Promise<void> => {
    let slot = slots.get(c.id);
    if (slot === undefined) slots.set(c.id, (slot = { state: core.initial, version: 0, seq: 0, tail: Promise.resolve() }));
    const s = slot;
    return (s.tail = s.tail.then(() => step(s, c)));
  };

  try {
    await runWindowed(w1.open, window, send);
    const opened = accepted;
    accepted = 0;
    let seconds = 0;
    let latencies: Float64Array = new Float64Array(0);
    const cost = await measureCost(w1.operations.length, async () => {
      const t0 = performance.now();
      latencies = await runWindowed(w1.operations, window, send);
      seconds = (performance.now() - t0) / 1000;
    });
    let mismatches = 0;
    for (const [id, balance] of w1.expected.balances) {
      const slot = slots.get(id);
      if (slot === undefined || core.balanceOf(slot.state) !== balance || slot.version !== w1.expected.versions.get(id)) mismatches++;
    }
    const stored = (await jsm.streams.info(stream)).state.messages;
    const ok =
      failures.length === 0 &&
      mismatches === 0 &&
      opened === w1.open.length &&
      accepted === w1.expected.accepted &&
      rejected === w1.expected.rejected &&
      stored === w1.open.length + w1.operations.length;
    if (!ok) console.error(`JetStream ceiling ${stream}: ${mismatches} mismatches, ${stored} stored; ${failures.slice(0, 3).join('; ')}`);
    await jsm.streams.delete(stream);
    return { seconds, accepted, rejected, latencies, cost, ok };
  } finally {
    raw.close();
  }
}
