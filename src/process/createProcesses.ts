import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { ConfigError, NotFoundError } from '../errors.js';
import type { EventLog } from '../eventLog/eventLog.js';
import type { NatsEventLog } from '../eventLog/nats/createNatsEventLog.js';
import { createLogger, type Logger } from '../logging/logger.js';
import type { ProcessDefinition } from './defineProcess.js';
import { createLmdbProcessStore, openProcessEnvironment } from './lmdbProcessStore.js';
import { createNatsProcessHost, type ProcessHost, type ProcessOwnership } from './nats/natsProcessHost.js';
import { ensureProcessStream } from './nats/natsProcessJournal.js';
import { createProcessRunner, type ProcessRunnerOptions } from './processRunner.js';
import type { Process, ProcessStatus } from './processTypes.js';

/**
 * How processes run: the options of a process runner that are not wiring.
 *
 * @example
 * ```ts
 * const processOptions: ProcessOptions = { clockSkew: 2000, dispatch: { maxAttempts: 5 } };
 * ```
 */
export type ProcessOptions = Pick<ProcessRunnerOptions, 'maxBatch' | 'clock' | 'clockSkew' | 'dispatch' | 'waitTimeout'> & {
  /** On NATS: heartbeats and takeover of the one node that runs each process. */
  readonly ownership?: ProcessOwnership;
  /** On NATS: this node's name in heartbeats and logs. Default `<hostname>-<pid>-<random>`. */
  readonly node?: string;
};

/** On NATS, commits come from many nodes' clocks: a wall-clock timer waits this much longer by default. @example `createProcesses({ ..., clockSkew: NATS_CLOCK_SKEW })` */
export const NATS_CLOCK_SKEW = 1000;

/**
 * Options of {@link createProcesses}.
 *
 * @example
 * ```ts
 * const options: ProcessesOptions = { log, path: './data/processes', processes: [Fulfilment], send: app.send };
 * ```
 */
export type ProcessesOptions = ProcessOptions & {
  readonly log: EventLog;
  /** Directory of the processes' LMDB environment (e.g. `<dataDir>/processes`); the embedded engine only (on NATS their state is a journal in JetStream). */
  readonly path?: string;
  readonly processes: readonly ProcessDefinition[];
  readonly send: ProcessRunnerOptions['send'];
  readonly logger?: Logger;
};

/**
 * The process managers of an app.
 *
 * @example
 * ```ts
 * const processes = await createProcesses({ log, path, processes: [Fulfilment], send });
 * await processes.start();
 * console.log(await processes.statuses());
 * await processes.close();
 * ```
 */
export type Processes = {
  readonly names: readonly string[];
  /** One process, by definition or name; unknown names throw `NotFoundError`. */
  get(process: string | ProcessDefinition): Process;
  start(): Promise<void>;
  statuses(): Promise<ProcessStatus[]>;
  /** Stops every runner after its work in flight, then closes their LMDB. Idempotent. */
  close(): Promise<void>;
};

/**
 * Opens the processes' state at `path` and prepares their runners (stopped until `start()`).
 * Throws `ConfigError` for two processes with one name.
 *
 * @example
 * ```ts
 * const processes = await createProcesses({ log, path: './data/processes', processes: [Fulfilment], send: app.send });
 * await processes.start();
 * ```
 */
export async function createProcesses(options: ProcessesOptions): Promise<Processes> {
  const names = options.processes.map((p) => p.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw new ConfigError(`two processes are named ${duplicate}`, { process: duplicate });
  const logger = options.logger ?? createLogger();
  const { log, send, processes: _, path, ownership, node: nodeName, ...runnerOptions } = options;
  const runners = new Map<string, ProcessHost>();
  let closeStore = () => Promise.resolve();
  if (log.engine === 'nats') {
    const nats = log as NatsEventLog;
    const stream = await ensureProcessStream(nats.connection, nats, logger);
    const node = nodeName ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    for (const definition of options.processes) {
      const runner = (store: ProcessRunnerOptions['store']) => createProcessRunner({ clockSkew: NATS_CLOCK_SKEW, ...runnerOptions, definition, store, log, send, logger });
      runners.set(definition.name, createNatsProcessHost({ nc: nats.connection, stream, prefix: nats.prefix, definition, node, logger, ownership, runner }));
    }
  } else {
    if (path === undefined) throw new ConfigError('processes on the embedded engine need `path`, the directory of their state');
    const env = openProcessEnvironment(path);
    closeStore = () => env.close();
    for (const definition of options.processes) {
      runners.set(definition.name, createProcessRunner({ ...runnerOptions, definition, store: createLmdbProcessStore(env, definition.name), log, send, logger }));
    }
  }
  let closing: Promise<void> | undefined;
  const runner = (process: string | ProcessDefinition) => {
    const name = typeof process === 'string' ? process : process.name;
    const found = runners.get(name);
    if (!found) throw new NotFoundError(`no process named ${JSON.stringify(name)}`, { process: name, known: names });
    return found;
  };
  return {
    names,
    get: (process) => runner(process).process,
    async start() {
      for (const r of runners.values()) await r.start();
    },
    statuses: () => Promise.all([...runners.values()].map((r) => r.process.status())),
    close() {
      closing ??= (async () => {
        await Promise.all([...runners.values()].map((r) => r.close()));
        await closeStore();
      })();
      return closing;
    },
  };
}
