import { DeliverPolicy, JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { decode, encode } from '../../codec/msgpack.js';
import { ConcurrencyError } from '../../errors.js';
import { natsFailure } from '../../eventLog/nats/natsFailure.js';
import { ensureStream } from '../../eventLog/nats/ensureStream.js';
import type { Logger } from '../../logging/logger.js';
import type { InstanceRecord, OutboxEntry, ProcessInput } from '../processInstance.js';
import type { ProcessChange, ProcessStore, ProcessStoreState } from '../processStore.js';

const WRONG_LAST_SEQUENCE = 10071;

/**
 * The header naming the node that wrote a journal entry, so that a runner watching the journal's
 * subjects learns it was replaced without decoding the entry.
 *
 * @example `msg.headers?.get(JOURNAL_WRITER_HEADER) // 'host-1234-ab12cd'`
 */
export const JOURNAL_WRITER_HEADER = 'Tributary-Process-Node';

/**
 * The subjects of one process's journal entries, `<prefix>.proc.<name>.j.<n>`.
 *
 * @example `nc.subscribe(journalSubjects('tributary', 'Fulfilment'))`
 */
export const journalSubjects = (prefix: string, name: string): string => `${prefix}.proc.${name}.j.*`;

/**
 * Where the processes' journals live on NATS: a stream `<log stream>_PROCESSES` on
 * `<prefix>.proc.>`, with the storage and replicas of the event log's stream.
 *
 * @example
 * ```ts
 * const where = await ensureProcessStream(nc, { stream: 'TRIBUTARY', prefix: 'tributary' }, logger);
 * ```
 */
export async function ensureProcessStream(nc: NatsConnection, log: { readonly stream: string; readonly prefix: string }, logger: Logger): Promise<string> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(log.stream);
  const name = `${log.stream}_PROCESSES`;
  await ensureStream(
    jsm,
    {
      name,
      subjects: [`${log.prefix}.proc.>`],
      storage: info.config.storage === 'memory' ? 'memory' : 'file',
      replicas: info.config.num_replicas,
      maxAge: 0,
      duplicateWindow: 120_000,
      maxMsgsPerSubject: -1,
    },
    logger,
  );
  return name;
}

/**
 * A process's journal on JetStream: its {@link ProcessStore}. Every commit is ONE message on a
 * fresh subject `<prefix>.proc.<process>.j.<n>`, published with
 * `Nats-Expected-Last-Subject-Sequence: 0`. Only one writer can ever write entry n (nats-server
 * 2.9 serialises that check even on clustered streams, unlike a check against a non-zero
 * sequence), so two nodes that both believe they run the process cannot both commit: the one that
 * lost gets a `ConcurrencyError` and stops. `load()` replays the journal.
 *
 * @example
 * ```ts
 * const journal = createNatsProcessJournal({ nc, stream, prefix: 'tributary', name: 'Fulfilment', node: 'n1' });
 * const state = await journal.load();
 * await journal.claim(); // throws ConcurrencyError when another node wrote first
 * ```
 */
export type NatsProcessJournal = ProcessStore & {
  /** Writes an empty entry: taking the process over fences out the node that ran it before. */
  claim(): Promise<void>;
};

type Entry = { readonly node: string; readonly change: ProcessChange };

/**
 * Creates a journal handle; nothing is read until `load()`.
 *
 * @example
 * ```ts
 * const journal = createNatsProcessJournal({ nc, stream: 'TRIBUTARY_PROCESSES', prefix: 'tributary', name: 'Fulfilment', node: 'node-1' });
 * ```
 */
export function createNatsProcessJournal(options: { readonly nc: NatsConnection; readonly stream: string; readonly prefix: string; readonly name: string; readonly node: string; readonly timeout?: number }): NatsProcessJournal {
  const { nc, stream, prefix, name, node } = options;
  const js = jetstream(nc, { timeout: options.timeout ?? 5000 });
  const subject = (n: number) => `${prefix}.proc.${name}.j.${n}`;
  let next = 1;
  const inputs = new Map<string, ProcessInput[]>();
  let loaded: ProcessStoreState | undefined;
  const remember = (change: ProcessChange) => {
    for (const { instance, input } of change.inputs) {
      let list = inputs.get(instance);
      if (!list) inputs.set(instance, (list = []));
      list.push(input);
    }
  };

  const write = async (change: ProcessChange) => {
    const n = next;
    try {
      const h = headers();
      h.set(JOURNAL_WRITER_HEADER, node);
      await js.publish(subject(n), encode({ node, change } satisfies Entry), { expect: { lastSubjectSequence: 0 }, headers: h });
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE) {
        throw new ConcurrencyError(`process ${name}: another node wrote journal entry ${n}; this node no longer runs it`, { process: name, entry: n, node });
      }
      throw natsFailure(err, `writing journal entry ${n} of process ${name}`);
    }
    next = n + 1;
    remember(change);
  };

  return {
    async load() {
      if (loaded) return loaded;
      const instances = new Map<string, InstanceRecord>();
      const outbox = new Map<string, OutboxEntry>();
      let checkpoint = 0;
      const consumer = await js.consumers.get(stream, { filter_subjects: `${prefix}.proc.${name}.j.>`, deliver_policy: DeliverPolicy.All, inactive_threshold: 30_000 });
      try {
        let pending = (await consumer.info(true)).num_pending;
        while (pending > 0) {
          const messages = await consumer.fetch({ max_messages: 1000, expires: 5000 });
          let received = 0;
          for await (const m of messages) {
            received += 1;
            const { change } = decode(m.data) as Entry;
            for (const record of change.instances) instances.set(record.id, record);
            for (const entry of change.added) outbox.set(entry.command.commandId, entry);
            for (const commandId of change.removed) outbox.delete(commandId);
            remember(change);
            if (change.checkpoint !== undefined) checkpoint = change.checkpoint;
            next = Number(m.subject.slice(m.subject.lastIndexOf('.') + 1)) + 1;
            pending = m.info.pending;
            if (pending === 0) break;
          }
          if (received === 0) break;
        }
      } finally {
        await consumer.delete().catch(() => undefined);
      }
      loaded = { checkpoint, instances, outbox };
      return loaded;
    },
    commit: write,
    claim: () => write({ instances: [], inputs: [], added: [], removed: [] }),
    async recordedInputs(instance) {
      return [...(inputs.get(instance) ?? [])];
    },
  };
}
