import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { ConcurrencyError, NotFoundError } from '../../errors.js';
import { childLogger, type Logger } from '../../logging/logger.js';
import { isNoResponders } from '../../nats/noResponders.js';
import type { ProcessDefinition } from '../defineProcess.js';
import type { ProcessRunner } from '../processRunner.js';
import type { Process, ProcessStatus } from '../processTypes.js';
import { createNatsProcessJournal, JOURNAL_WRITER_HEADER, journalSubjects, type NatsProcessJournal } from './natsProcessJournal.js';

/**
 * How nodes share a process on NATS. Defaults: a heartbeat every 500 ms, takeover after 3000 ms
 * without one.
 *
 * @example
 * ```ts
 * const ownership: ProcessOwnership = { heartbeat: 250, takeoverAfter: 1500 };
 * ```
 */
export type ProcessOwnership = {
  /** How often the node running a process says so, in ms. */
  readonly heartbeat?: number;
  /** How long without a heartbeat before another node takes the process over, in ms. */
  readonly takeoverAfter?: number;
};

/** @example `const every = ownership.heartbeat ?? OWNERSHIP_DEFAULTS.heartbeat` */
export const OWNERSHIP_DEFAULTS = { heartbeat: 500, takeoverAfter: 3000 } as const;

// Owner questions that may go unanswered (timed out, not "no responders") before a standby
// takes the process over from a node that is still subscribed.
const MAX_UNANSWERED = 3;

/**
 * The subject on which the node running a process answers its status (JSON {@link RemoteProcessStatus}).
 *
 * @example
 * ```ts
 * const reply = await nc.request(processStatusSubject('tributary', 'Fulfilment'), '', { timeout: 2000 });
 * ```
 */
export function processStatusSubject(prefix: string, process: string): string {
  return `${prefix}.procs.${process}.status`;
}

/**
 * A process's status as the node running it answers it.
 *
 * @example
 * ```ts
 * const { node, status } = JSON.parse(reply.string()) as RemoteProcessStatus;
 * ```
 */
export type RemoteProcessStatus = { readonly node: string; readonly status: ProcessStatus };

/**
 * A process as one node hosts it: it runs it, or stands by to take it over.
 *
 * @example
 * ```ts
 * await host.start();
 * console.log((await host.process.status()).state); // 'running' on one node, 'standby' on the others
 * ```
 */
export type ProcessHost = { readonly process: Process; start(): Promise<void>; close(): Promise<void> };

/**
 * Hosts a process on NATS with at most one active runner across nodes. The runner's node answers
 * `<prefix>.procs.<name>.owner` and `.status`, and publishes heartbeats on `<prefix>.procs.<name>.hb`. A node
 * starting asks who runs it; with no answer it claims the process by writing the next journal
 * entry (see `createNatsProcessJournal`), which only one node can do. A standby node that hears no
 * heartbeat for `takeoverAfter` claims it the same way, replays the journal, re-sends the outbox
 * under the same command ids and follows the log from the checkpoint. A node that was cut off and
 * comes back fails its next journal write and stands down: two runners never both commit.
 *
 * @example
 * ```ts
 * const host = createNatsProcessHost({ nc, stream, prefix, definition: Fulfilment, node: 'n1', logger, runner: (store) => createProcessRunner({ definition: Fulfilment, store, log, send, logger }) });
 * ```
 */
export function createNatsProcessHost(options: {
  readonly nc: NatsConnection;
  readonly stream: string;
  readonly prefix: string;
  readonly definition: ProcessDefinition;
  readonly node: string;
  readonly logger: Logger;
  readonly ownership?: ProcessOwnership;
  readonly runner: (store: NatsProcessJournal) => ProcessRunner;
}): ProcessHost {
  const { nc, prefix, definition, node } = options;
  const name = definition.name;
  const logger = childLogger(options.logger, { process: name });
  const heartbeat = options.ownership?.heartbeat ?? OWNERSHIP_DEFAULTS.heartbeat;
  const takeoverAfter = options.ownership?.takeoverAfter ?? OWNERSHIP_DEFAULTS.takeoverAfter;
  // Outside `<prefix>.proc.>`, which the journal stream captures (a request there would be stored and acknowledged).
  const hbSubject = `${prefix}.procs.${name}.hb`;
  const ownerSubject = `${prefix}.procs.${name}.owner`;
  const statusSubject = processStatusSubject(prefix, name);
  let lastBeat = Date.now();
  let runner: ProcessRunner | undefined;
  let answering: Subscription[] = [];
  let loop: NodeJS.Timeout | undefined;
  let busy = false;
  let closed = false;
  // From the winning claim until it stands down: heartbeats go out even while the runner starts.
  let owning = false;
  let beating: NodeJS.Timeout | undefined;
  const beats = nc.subscribe(hbSubject, {
    callback: (err, msg) => {
      if (!err && msg.string() !== node) lastBeat = Date.now();
    },
  });

  // Unanswered owner questions in a row. A busy owner (a loaded machine, a long replay) can miss
  // heartbeats and answer late, yet still be subscribed: the server's "no responders" is the
  // definite sign that nobody runs it, and silence counts as that only after a few tries.
  let unanswered = 0;
  const someoneRuns = async (): Promise<boolean> => {
    try {
      const reply = await nc.request(ownerSubject, node, { timeout: Math.min(1000, takeoverAfter) });
      unanswered = 0;
      return reply.string() !== node;
    } catch (err) {
      if (isNoResponders(err)) return false;
      unanswered += 1;
      return unanswered < MAX_UNANSWERED;
    }
  };

  // The journal is the lease: whoever wrote its newest entry runs the process. A runner that sees
  // another node's entry was replaced (it had stalled past the takeover) and stands down at once,
  // rather than at its own next write, so that two nodes never both report running.
  const journalWatch = nc.subscribe(journalSubjects(prefix, name), {
    callback: (err, msg) => {
      if (err || !owning) return;
      const writer = msg.headers?.get(JOURNAL_WRITER_HEADER);
      if (writer && writer !== node) {
        logger.warn({ node, by: writer }, `process ${name}: another node took it over; this node stands down`);
        void standDown().catch((e: unknown) => logger.error({ err: e }, `process ${name}: standing down failed`));
      }
    },
  });

  const standDown = async () => {
    const was = runner;
    runner = undefined;
    owning = false;
    for (const sub of answering) sub.unsubscribe();
    answering = [];
    lastBeat = Date.now();
    await was?.close();
  };

  const claim = async () => {
    if (await someoneRuns()) {
      lastBeat = Date.now();
      return;
    }
    const journal = createNatsProcessJournal({ nc, stream: options.stream, prefix, name, node });
    try {
      await journal.load();
      await journal.claim();
    } catch (err) {
      if (err instanceof ConcurrencyError) {
        logger.info({ node }, `process ${name}: another node took it first`);
        lastBeat = Date.now();
        return;
      }
      throw err;
    }
    // Say so at once, and keep saying so while the runner loads: a standby must not mistake a
    // slow start for a dead node.
    const next = options.runner(journal);
    answering = [
      nc.subscribe(ownerSubject, {
        callback: (err, msg) => {
          if (!err) msg.respond(node);
        },
      }),
      nc.subscribe(statusSubject, {
        callback: (err, msg) => {
          if (!err) void next.process.status().then((status) => msg.respond(JSON.stringify({ node, status } satisfies RemoteProcessStatus)));
        },
      }),
    ];
    owning = true;
    nc.publish(hbSubject, node);
    try {
      await next.start();
    } catch (err) {
      owning = false;
      for (const sub of answering) sub.unsubscribe();
      answering = [];
      throw err;
    }
    if (!owning) {
      // Replaced while starting (see the journal watch): this node never runs it.
      await next.close();
      return;
    }
    runner = next;
    logger.info({ node }, `process ${name}: this node runs it`);
  };

  const check = async () => {
    if (busy || closed) return;
    busy = true;
    try {
      if (runner) {
        // A runner that failed (lost its journal to another node, or its store failed) stands down.
        if ((await runner.process.status()).state === 'failed') await standDown();
      } else if (!owning && Date.now() - lastBeat > takeoverAfter) await claim();
    } catch (err) {
      logger.error({ err }, `process ${name}: ownership check failed`);
    } finally {
      busy = false;
    }
  };

  const standby = (): ProcessStatus => ({ name, state: 'standby', position: 0, headPosition: 0, lag: 0, instances: 0, outbox: 0, timers: 0, halted: [] });
  const current = (): ProcessRunner => {
    if (!runner) throw new NotFoundError(`process ${name} runs on another node; ask that node`, { process: name, node });
    return runner;
  };

  const process: Process = {
    name,
    status: () => (runner ? runner.process.status() : Promise.resolve(standby())),
    state: (instance) => current().process.state(instance),
    recordedInputs: (instance) => current().process.recordedInputs(instance),
    waitFor: (position, wait) => current().process.waitFor(position, wait),
    settled: (wait) => current().process.settled(wait),
    retry: (instance) => current().process.retry(instance),
    skip: (instance) => current().process.skip(instance),
  };

  return {
    process,
    async start() {
      beating = setInterval(() => {
        if (owning) nc.publish(hbSubject, node);
      }, heartbeat);
      busy = true;
      try {
        await claim();
      } finally {
        busy = false;
      }
      loop = setInterval(() => void check(), heartbeat);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (loop) clearInterval(loop);
      if (beating) clearInterval(beating);
      while (busy) await new Promise((r) => setTimeout(r, 10));
      beats.unsubscribe();
      journalWatch.unsubscribe();
      await standDown();
    },
  };
}
