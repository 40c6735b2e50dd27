import type { NatsConnection } from '@nats-io/transport-node';
import { encodeCommitRecord, toEnvelopes, type CommitRecord } from '../../src/eventLog/commitRecord.js';
import { encodeRefusal } from '../../src/eventLog/nats/refusalRecord.js';
import type { ErrorShape } from '../../src/errors.js';
import type { Command, CommandResult } from '../../src/index.js';
import { refusalOf, type CeilingCore } from './ceilingCore.js';
import { createRawPublisher, type RawAck } from './jetStreamRaw.js';
import type { W1 } from './w1.js';

type Slot<S> = { state: S; version: number; seq: number; tail: Promise<unknown> };

/**
 * The host's unavoidable work on JetStream, for one process, with nothing of the framework around
 * it: per command the payload check, decide with the event check, the msgpack encode of the
 * commit record, the raw publish with the log's headers (`Nats-Msg-Id`, and the subject's
 * expected last sequence from the previous ack), and after the ack the stored envelopes and
 * evolve. A rejection is published as the log publishes it (a refusal on
 * `<prefix>.rej.Account.<id>`, deduplicated by the same `Nats-Msg-Id`). One aggregate's commands
 * run one after another (the next decides on the state the previous reached); all aggregates are
 * in flight. `send` resolves with the {@link CommandResult} the framework would answer (the
 * envelopes given to evolve are the ones in the result). `check` compares the states reached and
 * the counts with the model.
 *
 * @example
 * ```ts
 * const host = createCeilingHost(nc, xstateCore(), 'ceiling');
 * const r = await host.send(command); // { ok: true, version, position, events }
 * host.check(w1, { opened, accepted, rejected }); // true when every account matches the model
 * host.close();
 * ```
 */
export function createCeilingHost<S>(nc: NatsConnection, core: CeilingCore<S>, prefix: string) {
  const raw = createRawPublisher(nc);
  const slots = new Map<string, Slot<S>>();
  const failures: string[] = [];
  const timestamp = Date.now();
  const failed = (subject: string, ack: RawAck): CommandResult | undefined => {
    if (ack.errCode === 0 && !ack.duplicate) return undefined;
    const message = `${subject}: ${ack.errCode} ${ack.description}${ack.duplicate ? ' duplicate' : ''}`;
    failures.push(message);
    return { ok: false, error: { code: 'internal', message } };
  };

  const step = async (slot: Slot<S>, c: Command): Promise<CommandResult> => {
    const payload = core.validate(c);
    const decision = core.decide(slot.state, c.type, payload);
    const commandId = c.commandId!;
    if (!decision.ok) {
      const subject = `${prefix}.rej.Account.${c.id}`;
      const refusal = refusalOf(c, decision, timestamp);
      return failed(subject, await raw.publish(subject, encodeRefusal(refusal), commandId, undefined)) ?? { ok: false, error: refusal.answer as ErrorShape };
    }
    const version = slot.version + decision.events.length;
    const record: CommitRecord = { aggregate: 'Account', id: c.id, version, commandId, correlationId: commandId, causationId: commandId, timestamp, events: decision.events };
    const subject = `${prefix}.evt.Account.${c.id}`;
    const ack = await raw.publish(subject, encodeCommitRecord(record), commandId, slot.seq);
    const failure = failed(subject, ack);
    if (failure !== undefined) return failure;
    slot.seq = ack.seq;
    const events = toEnvelopes(record, ack.seq);
    let state = slot.state;
    for (const e of events) state = core.evolve(state, e);
    slot.state = state;
    slot.version = version;
    return { ok: true, version, position: ack.seq, events };
  };

  return {
    send(c: Command): Promise<CommandResult> {
      let slot = slots.get(c.id);
      if (slot === undefined) slots.set(c.id, (slot = { state: core.initial, version: 0, seq: 0, tail: Promise.resolve() }));
      const s = slot;
      const result = s.tail.then(() => step(s, c));
      s.tail = result;
      return result;
    },
    /** Whether no publish failed, every account holds the model's balance and version, and the counts are the model's. */
    check(w1: W1, counts: { opened: number; accepted: number; rejected: number }): boolean {
      let mismatches = 0;
      for (const [id, balance] of w1.expected.balances) {
        const slot = slots.get(id);
        if (slot === undefined || core.balanceOf(slot.state) !== balance || slot.version !== w1.expected.versions.get(id)) mismatches++;
      }
      const ok =
        failures.length === 0 &&
        mismatches === 0 &&
        counts.opened === w1.open.length &&
        counts.accepted === w1.expected.accepted &&
        counts.rejected === w1.expected.rejected;
      if (!ok) console.error(`ceiling host ${prefix}: ${mismatches} account mismatches, counts ${JSON.stringify(counts)}; ${failures.slice(0, 3).join('; ')}`);
      return ok;
    },
    close(): void {
      raw.close();
    },
  };
}
