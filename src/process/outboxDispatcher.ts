import type { CommandResult } from '../commands/command.js';
import type { ErrorCode, ErrorShape } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { CommandAnswerEvent } from './processEvents.js';
import type { OutboxEntry } from './processInstance.js';

/**
 * How the outbox is sent. Transport failures (`timeout`, `connection`, `conflict`, `internal`,
 * ...) are retried with exponential backoff; after `maxAttempts` the command is stuck and its
 * instance halts (retry it or skip it). Answers that cannot change (`ok`, `rejected`, `invalid`,
 * `unknown_command`, `not_found`, `bad_encoding`, `config`) end the command at once.
 *
 * @example
 * ```ts
 * const options: DispatchPolicy = { maxInFlight: 64, maxAttempts: 8, backoff: 50, maxBackoff: 5000 };
 * ```
 */
export type DispatchPolicy = {
  /** Commands in flight at once, across instances. Default 64. */
  readonly maxInFlight?: number;
  /** Attempts of one command on transport failures before it is stuck. Default 8. */
  readonly maxAttempts?: number;
  /** First retry delay in ms, doubled each attempt. Default 50. */
  readonly backoff?: number;
  /** Largest retry delay in ms. Default 5000. */
  readonly maxBackoff?: number;
};

/** @example `const max = options.maxAttempts ?? DISPATCH_DEFAULTS.maxAttempts` */
export const DISPATCH_DEFAULTS = { maxInFlight: 64, maxAttempts: 8, backoff: 50, maxBackoff: 5000 } as const;

/**
 * Sends outbox entries until each has an answer, one command at a time per instance (in the
 * order they were decided) and many instances at once.
 *
 * @example
 * ```ts
 * const dispatcher = createOutboxDispatcher({ send: app.send, answer, stuck, logger });
 * dispatcher.add(entries);
 * await dispatcher.close();
 * ```
 */
export type OutboxDispatcher = {
  /** Queues entries (already durable in the outbox). An entry already queued is ignored. */
  add(entries: Iterable<OutboxEntry>): void;
  /** Entries queued or in flight. */
  readonly depth: number;
  /** Stops sending; resolves once the sends in flight have settled. Unanswered entries stay in the outbox. */
  close(): Promise<void>;
};

/**
 * Options of {@link createOutboxDispatcher}.
 *
 * @example
 * ```ts
 * createOutboxDispatcher({ send, answer: (entry, event) => runner.answer(entry, event), stuck: (entry, error) => runner.stuck(entry, error), logger });
 * ```
 */
export type OutboxDispatcherOptions = DispatchPolicy & {
  readonly send: (command: OutboxEntry['command'] & { correlationId: string }) => Promise<CommandResult>;
  /** Records the answer (durably, with its effect on the instance); the instance's next command waits for it. */
  readonly answer: (entry: OutboxEntry, event: CommandAnswerEvent) => Promise<void>;
  /** The command failed `maxAttempts` times on transport errors. */
  readonly stuck: (entry: OutboxEntry, error: ErrorShape) => void;
  readonly correlationId: (entry: OutboxEntry) => string;
  readonly logger: Logger;
};

const FINAL_FAILURES: ReadonlySet<ErrorCode> = new Set(['invalid', 'unknown_command', 'not_found', 'bad_encoding', 'config']);

function answerOf(entry: OutboxEntry, result: CommandResult): CommandAnswerEvent | undefined {
  const { command, decidedAt: timestamp } = entry;
  if (result.ok) return { type: 'CommandSucceeded', command, position: result.position, timestamp };
  const { code, message, details } = result.error;
  if (code === 'rejected') return { type: 'CommandRejected', command, reason: String(details?.reason ?? 'Rejected'), message, timestamp };
  if (FINAL_FAILURES.has(code)) return { type: 'CommandFailed', command, code, message, timestamp };
  return undefined;
}

/**
 * Creates a dispatcher. It never loops forever: every entry ends answered, stuck, or left in the
 * outbox at close (for the next start).
 *
 * @example
 * ```ts
 * const dispatcher = createOutboxDispatcher({ send: app.send, answer, stuck, correlationId: (e) => `Fulfilment/${e.instance}`, logger });
 * ```
 */
export function createOutboxDispatcher(options: OutboxDispatcherOptions): OutboxDispatcher {
  const maxInFlight = options.maxInFlight ?? DISPATCH_DEFAULTS.maxInFlight;
  const maxAttempts = options.maxAttempts ?? DISPATCH_DEFAULTS.maxAttempts;
  const backoff = options.backoff ?? DISPATCH_DEFAULTS.backoff;
  const maxBackoff = options.maxBackoff ?? DISPATCH_DEFAULTS.maxBackoff;
  const { logger } = options;
  // Per instance, its entries in decision order; `ready` holds instances whose head may be sent.
  const queues = new Map<string, OutboxEntry[]>();
  const known = new Set<string>();
  const ready: string[] = [];
  const busy = new Set<string>();
  const running = new Set<Promise<void>>();
  // Backoff waits, ended early by close().
  const waits = new Map<NodeJS.Timeout, () => void>();
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        waits.delete(t);
        resolve();
      }, ms);
      waits.set(t, resolve);
    });

  const deliver = async (entry: OutboxEntry): Promise<void> => {
    let last: ErrorShape | undefined;
    for (let attempt = 1; attempt <= maxAttempts && !closed; attempt++) {
      const result = await options.send({ ...entry.command, correlationId: options.correlationId(entry) });
      if (closed) return;
      const answer = answerOf(entry, result);
      if (answer) {
        await options.answer(entry, answer);
        return;
      }
      last = (result as Extract<CommandResult, { ok: false }>).error;
      if (last.code === 'closed') return;
      logger.warn({ commandId: entry.command.commandId, attempt, error: last }, 'process command failed; retrying');
      if (attempt < maxAttempts) await sleep(Math.min(maxBackoff, backoff * 2 ** (attempt - 1)));
    }
    if (!closed && last) options.stuck(entry, last);
  };

  const pump = () => {
    while (!closed && running.size < maxInFlight && ready.length > 0) {
      const instance = ready.shift()!;
      const queue = queues.get(instance);
      const entry = queue?.[0];
      if (entry === undefined || busy.has(instance)) continue;
      busy.add(instance);
      const work = deliver(entry)
        .catch((err: unknown) => logger.error({ err, commandId: entry.command.commandId }, 'recording a process command answer failed'))
        .finally(() => {
          running.delete(work);
          busy.delete(instance);
          queue!.shift();
          known.delete(entry.command.commandId);
          if (queue!.length > 0) ready.push(instance);
          else queues.delete(instance);
          pump();
        });
      running.add(work);
    }
  };

  return {
    add(entries) {
      for (const entry of entries) {
        if (closed || known.has(entry.command.commandId)) continue;
        known.add(entry.command.commandId);
        let queue = queues.get(entry.instance);
        if (!queue) {
          queue = [];
          queues.set(entry.instance, queue);
          ready.push(entry.instance);
        }
        queue.push(entry);
      }
      pump();
    },
    get depth() {
      return known.size;
    },
    async close() {
      closed = true;
      for (const [t, resolve] of waits) {
        clearTimeout(t);
        resolve();
      }
      waits.clear();
      await Promise.allSettled([...running]);
    },
  };
}
