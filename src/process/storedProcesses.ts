import fs from 'node:fs';
import type { ProcessDefinition } from './defineProcess.js';
import { createLmdbProcessStore, openProcessEnvironment } from './lmdbProcessStore.js';
import { summarise } from './processReadouts.js';
import type { ProcessStatus } from './processTypes.js';
import { compareReplay, replayInputs } from './replayInputs.js';

/**
 * Reads the statuses of the processes stored under `path` (`<dataDir>/processes`) without running
 * them: their checkpoints, outboxes, timers and halted instances as of their last commit. `state`
 * is `stopped`, since this reader does not know whether another process runs them.
 *
 * @example
 * ```ts
 * const statuses = await readStoredProcesses('./data/processes', await log.headPosition());
 * ```
 */
export async function readStoredProcesses(path: string, headPosition: number): Promise<ProcessStatus[]> {
  if (!fs.existsSync(path)) return [];
  const env = openProcessEnvironment(path);
  try {
    const names = [...env.root.getKeys()].filter((k): k is string => typeof k === 'string' && k.startsWith('state/')).map((k) => k.slice('state/'.length));
    const out: ProcessStatus[] = [];
    for (const name of names.sort()) {
      const { checkpoint, instances, outbox } = await createLmdbProcessStore(env, name).load();
      const { timers, halted } = summarise(instances.values());
      out.push({ name, state: 'stopped', position: checkpoint, headPosition, lag: Math.max(0, headPosition - checkpoint), instances: instances.size, outbox: outbox.size, timers, halted });
    }
    return out;
  } finally {
    await env.close();
  }
}

/**
 * A dry-run rebuild of a stored process: replays every instance's recorded inputs and compares the
 * result with its stored state. Writes nothing: a process is never rebuilt from the log, since
 * that would decide (and could send) its commands again under a different history of timers and
 * answers.
 *
 * @example
 * ```ts
 * const report = await dryRunRebuild('./data/processes', Fulfilment); // { instances: 300, matched: 300, differences: [] }
 * ```
 */
export async function dryRunRebuild(path: string, definition: ProcessDefinition): Promise<{ instances: number; matched: number; commands: number; differences: string[] }> {
  const env = openProcessEnvironment(path);
  try {
    const store = createLmdbProcessStore(env, definition.name);
    const { instances } = await store.load();
    const differences: string[] = [];
    let matched = 0;
    let commands = 0;
    for (const live of instances.values()) {
      if (live.inputs === 0) continue;
      try {
        const replayed = replayInputs(definition, live.id, await store.recordedInputs(live.id));
        commands += replayed.commands.length;
        const problems = compareReplay(definition, live, replayed.record);
        if (problems.length === 0) matched += 1;
        else differences.push(...problems);
      } catch (err) {
        differences.push(`${live.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return { instances: instances.size, matched, commands, differences };
  } finally {
    await env.close();
  }
}
