import type { Commit } from '../eventLog/eventLog.js';
import { MAX_ID_LENGTH } from '../eventLog/subjectToken.js';
import type { Logger } from '../logging/logger.js';
import type { ProcessDefinition } from './defineProcess.js';
import type { ProcessWork } from './processWork.js';

/**
 * Routes one commit into a process's work, in log order: first every timer due at or before the
 * commit's timestamp fires (log time, the same on every replay), then each event the process
 * listens to goes to the instance `correlate` names. An event without an instance is not the
 * process's; one whose `correlate` throws or gives no valid id is logged and ignored, so that a
 * bad event never stops the process.
 *
 * @example
 * ```ts
 * for (const commit of batch) routeCommit(Fulfilment, work, commit, logger);
 * ```
 */
export function routeCommit(definition: ProcessDefinition, work: ProcessWork, commit: Commit, logger: Logger): void {
  const name = definition.name;
  work.fireDue(commit.timestamp);
  for (const [index, event] of commit.events.entries()) {
    if (!definition.listensTo(event)) continue;
    let instance: unknown;
    try {
      instance = definition.correlate(event);
    } catch (err) {
      logger.error({ err, position: commit.position, type: event.type }, `process ${name}: correlate threw on ${event.type} at position ${commit.position}; the event is ignored`);
      continue;
    }
    if (instance === undefined || instance === null) continue;
    if (typeof instance !== 'string' || instance === '' || instance.length > MAX_ID_LENGTH) {
      logger.error(
        { position: commit.position, type: event.type, instance },
        `process ${name}: correlate gave ${JSON.stringify(instance)} for ${event.type} at position ${commit.position}, not an id of 1 to ${MAX_ID_LENGTH} characters; the event is ignored`,
      );
      continue;
    }
    work.take(instance, { kind: 'event', event, index });
  }
}
