import {
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { MsgHdrsImpl, nanos, type NatsConnection } from '@nats-io/transport-node';
import { runWindowed } from '../../src/testing/runWindowed.js';
import { createReplyInbox } from './replyInbox.js';

/**
 * Creates a stream configured exactly as the JetStream event log configures its own (file
 * storage, `allow_direct`, limits retention, a two-minute duplicate window, no limits), without
 * going through the framework: the raw baselines write and read it.
 *
 * @example
 * ```ts
 * await addLogStream(jsm, 'RAW', 'raw'); // subjects raw.evt.>
 * await addLogStream(jsm, 'CEILING', 'ceiling', { refusals: true }); // and ceiling.rej.>
 * ```
 */
export async function addLogStream(jsm: JetStreamManager, name: string, prefix: string, options: { refusals?: boolean } = {}): Promise<void> {
  await jsm.streams.add({
    name,
    // The log's stream also holds refusals, on `<prefix>.rej.>`.
    subjects: options.refusals ? [`${prefix}.evt.>`, `${prefix}.rej.>`] : [`${prefix}.evt.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: 1,
    max_age: 0,
    duplicate_window: nanos(120_000),
    allow_direct: true,
    max_msgs_per_subject: -1,
    max_msgs: -1,
    max_bytes: -1,
    discard: DiscardPolicy.Old,
  });
}

/**
 * A PubAck, parsed by hand: `errCode` 0 and `duplicate` false for a new message.
 *
 * @example
 * ```ts
 * const ack: RawAck = { seq: 42, duplicate: false, errCode: 0, description: '' };
 * ```
 */
export type RawAck = { seq: number; duplicate: boolean; errCode: number; description: string };

/**
 * The fastest publish path NATS-NOTES measured (`createReplyInbox`), parsing the PubAck JSON here.
 * No timers, no retries: a baseline, not a client.
 *
 * @example
 * ```ts
 * const raw = createRawPublisher(nc);
 * const ack = await raw.publish('raw.evt.Account.a-1', bytes, 'cmd-1', 0);
 * raw.close();
 * ```
 */
export function createRawPublisher(nc: NatsConnection) {
  const decoder = new TextDecoder();
  const inbox = createReplyInbox(nc, (data): RawAck => {
    const body = JSON.parse(decoder.decode(data)) as { seq?: number; duplicate?: boolean; error?: { err_code?: number; description?: string } };
    return {
      seq: body.seq ?? 0,
      duplicate: body.duplicate === true,
      errCode: body.error?.err_code ?? 0,
      description: body.error?.description ?? '',
    };
  });
  return {
    /**
     * Publishes with both headers the log sets on a commit: the command id, and the subject's
     * expected last sequence (left out when undefined, as on a refusal).
     */
    publish(subject: string, data: Uint8Array, msgId: string, expectedLastSubjectSeq: number | undefined): Promise<RawAck> {
      const h = new MsgHdrsImpl();
      h.headers.set('Nats-Msg-Id', [msgId]);
      if (expectedLastSubjectSeq !== undefined) h.headers.set('Nats-Expected-Last-Subject-Sequence', [String(expectedLastSubjectSeq)]);
      return inbox.request(subject, data, h);
    },
    close: inbox.close,
  };
}

/**
 * A commit to publish raw: its subject, its stored bytes and its command id.
 *
 * @example
 * ```ts
 * const commit: RawCommit = { subject: 'raw.evt.Account.acc-1', bytes: encodeCommitRecord(record), commandId: record.commandId };
 * ```
 */
export type RawCommit = { readonly subject: string; readonly bytes: Uint8Array; readonly commandId: string };

/**
 * Per subject: the sequence of its last commit, and the publish queued last (while `busy`).
 *
 * @example
 * ```ts
 * const heads: SubjectHeads = new Map();
 * ```
 */
export type SubjectHeads = Map<string, { seq: number; tail: Promise<unknown> | undefined; busy: number }>;

/**
 * Publishes `count` commits (`commitAt(i)` builds the i-th, so a million need not sit in memory)
 * with at most `window` in flight, each with the expected last subject sequence learnt from the
 * previous ack of its subject, so commits of one subject wait for each other exactly as the log's
 * appends do. Pass the same `heads` to later calls on the same stream. Returns the per-commit
 * latencies (ms) and the acks that were errors or duplicates (none, in a correct run).
 *
 * @example
 * ```ts
 * const heads: SubjectHeads = new Map();
 * await publishChained(raw, opens.length, (i) => opens[i]!, 1000, heads);
 * const { latencies, failures } = await publishChained(raw, ops.length, (i) => ops[i]!, 1000, heads);
 * ```
 */
export async function publishChained(
  raw: ReturnType<typeof createRawPublisher>,
  count: number,
  commitAt: (i: number) => RawCommit,
  window: number,
  heads: SubjectHeads,
): Promise<{ latencies: Float64Array; failures: string[] }> {
  const failures: string[] = [];
  const indexes = Array.from({ length: count }, (_, i) => i);
  const latencies = await runWindowed(indexes, window, async (i) => {
    const c = commitAt(i);
    let head = heads.get(c.subject);
    if (head === undefined) heads.set(c.subject, (head = { seq: 0, tail: undefined, busy: 0 }));
    const previous = head.busy > 0 ? head.tail : undefined;
    const h = head;
    h.busy += 1;
    const mine = (async () => {
      if (previous !== undefined) await previous;
      const ack = await raw.publish(c.subject, c.bytes, c.commandId, h.seq);
      if (ack.errCode !== 0 || ack.duplicate) failures.push(`${c.subject}: ${ack.errCode} ${ack.description}${ack.duplicate ? ' duplicate' : ''}`);
      else h.seq = ack.seq;
    })();
    h.tail = mine;
    try {
      await mine;
    } finally {
      h.busy -= 1;
      if (h.busy === 0) h.tail = undefined;
    }
  });
  return { latencies, failures };
}

/**
 * Reads every message of one subject with an ordered consumer filtered to it (deliver all), the
 * way a plain JetStream user loads an aggregate: create the consumer, pull until nothing is
 * pending, then delete it (the deletion is not waited for, as the log does not wait either).
 *
 * @example
 * ```ts
 * const bodies = await readSubjectOrdered(js, 'RAW', 'raw.evt.Account.a-1');
 * ```
 */
export async function readSubjectOrdered(js: JetStreamClient, stream: string, subject: string): Promise<Uint8Array[]> {
  const consumer = await js.consumers.get(stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
  const out: Uint8Array[] = [];
  try {
    for (;;) {
      const messages = await consumer.fetch({ max_messages: 1000, expires: 5000 });
      let received = 0;
      let done = false;
      for await (const m of messages) {
        received += 1;
        out.push(m.data);
        if (m.info.pending === 0) {
          done = true;
          break;
        }
      }
      if (done || received === 0) return out;
    }
  } finally {
    void consumer.delete().catch(() => undefined);
  }
}

/**
 * Reads the whole stream with an ordered consumer, `consume({ max_messages })` and its async
 * iterator (the iterator pulls more only as it is drained, so a slow `onBatch` holds the read
 * back), handing over batches of `batchSize` (and the last, partial one) to `onBatch`, awaited.
 * Resolves once `lastSeq` has been handed over.
 *
 * @example
 * ```ts
 * await consumeStream(js, 'RAW', 1_000_000, 1000, (batch) => projector.apply(batch));
 * ```
 */
export async function consumeStream(
  js: JetStreamClient,
  stream: string,
  lastSeq: number,
  batchSize: number,
  onBatch: (batch: Array<{ position: number; bytes: Uint8Array }>) => Promise<void>,
): Promise<void> {
  const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: batchSize });
  let batch: Array<{ position: number; bytes: Uint8Array }> = [];
  try {
    for await (const m of messages) {
      batch.push({ position: m.seq, bytes: m.data });
      if (batch.length >= batchSize || m.seq >= lastSeq) {
        const full = batch;
        batch = [];
        await onBatch(full);
      }
      if (m.seq >= lastSeq) return;
    }
  } finally {
    messages.stop();
    void consumer.delete().catch(() => undefined);
  }
}
