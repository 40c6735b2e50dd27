import path from 'node:path';
import type { EventLog } from '../eventLog/eventLog.js';
import { ConfigError, NotFoundError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { createProcesses, type ProcessOptions, type Processes } from './createProcesses.js';
import type { ProcessDefinition } from './defineProcess.js';
import type { ProcessRunnerOptions } from './processRunner.js';

export type { Processes, ProcessOptions } from './createProcesses.js';

const noProcesses: Processes = {
  names: [],
  get(process) {
    const name = typeof process === 'string' ? process : process.name;
    throw new NotFoundError(`the app runs no process named ${JSON.stringify(name)}: pass it in createApp({ processes })`, { process: name });
  },
  start: () => Promise.resolve(),
  statuses: () => Promise.resolve([]),
  close: () => Promise.resolve(),
};

/**
 * The processes of an app, in `<dataDir>/processes`, started. What `createApp` reads of its options.
 *
 * @example
 * ```ts
 * const processes = await openAppProcesses({ dataDir, processes: [Fulfilment] }, log, send, logger);
 * ```
 */
export async function openAppProcesses(
  options: { readonly dataDir?: string | undefined; readonly processes?: readonly ProcessDefinition[] | undefined; readonly processOptions?: ProcessOptions | undefined },
  log: EventLog,
  send: ProcessRunnerOptions['send'],
  logger: Logger,
): Promise<Processes> {
  const definitions = options.processes ?? [];
  if (!Array.isArray(definitions)) throw new ConfigError('`processes` must be an array of defineProcess(...) results');
  if (definitions.length === 0) return noProcesses;
  const embedded = log.engine === 'embedded';
  if (embedded && (typeof options.dataDir !== 'string' || options.dataDir === '')) throw new ConfigError('processes need `dataDir`: their state lives in <dataDir>/processes');
  const processes = await createProcesses({
    ...options.processOptions,
    log,
    ...(embedded ? { path: path.join(options.dataDir!, 'processes') } : {}),
    processes: definitions,
    send,
    logger,
  });
  try {
    await processes.start();
  } catch (err) {
    await processes.close();
    throw err;
  }
  return processes;
}
