import type { Command } from 'commander';
import { commitLine, commitsOf, openLogToRead } from '../inspectLog.js';
import { untilSignal } from '../untilSignal.js';
import { addStreamOption } from '../config/settings.js';
import { addReadOptions, readSettings, runVerb, stderrLogger, type ReadFlags } from '../readSide.js';

async function events(aggregate: string, id: string, flags: ReadFlags): Promise<number> {
  const settings = await readSettings(flags);
  const log = await openLogToRead(settings, stderrLogger(settings.logLevel));
  const stop = untilSignal();
  try {
    const read = await Promise.race([log.readStream(aggregate, id), stop.signalled]);
    if (typeof read === 'string') return 130;
    const commits = commitsOf(read);
    for (const commit of commits) process.stdout.write(`${JSON.stringify(commitLine(commit))}\n`);
    if (commits.length === 0) process.stderr.write(`no events for ${aggregate} ${id}\n`);
    return commits.length === 0 ? 1 : 0;
  } finally {
    stop.dispose();
    await log.close();
  }
}

/**
 * Registers `tributary events <Aggregate> <id>`: prints one aggregate instance's commits, oldest
 * first, one JSON line each (`position`, `version`, `time`, `commandId`, `correlationId`,
 * `causationId`, `events`). Exit code 1 when it has none. Embedded (`--data-dir`) or NATS.
 *
 * @example
 * ```ts
 * register(program); // tributary events Account a-1 --data-dir ./data
 * ```
 */
export function register(program: Command): void {
  addStreamOption(addReadOptions(program.command('events')))
    .description("print an aggregate instance's commits as JSON lines (exit 1 when it has none)")
    .argument('<aggregate>', 'aggregate name, e.g. Account')
    .argument('<id>', 'aggregate id, e.g. a-1')
    .action((aggregate: string, id: string, flags: ReadFlags) => runVerb('events', () => events(aggregate, id, flags), 2));
}
