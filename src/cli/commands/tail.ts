import type { Command } from 'commander';
import type { Subscription } from 'rxjs';
import { parseCount } from '../natsOptions.js';
import { commitLine, openLogToRead } from '../inspectLog.js';
import { untilSignal } from '../untilSignal.js';
import { addStreamOption } from '../config/settings.js';
import { addReadOptions, readSettings, runVerb, stderrLogger, type ReadFlags } from '../readSide.js';

type TailFlags = ReadFlags & { fromPosition?: number; follow: boolean; count?: number };

async function tail(flags: TailFlags): Promise<void> {
  const settings = await readSettings(flags);
  const log = await openLogToRead(settings, stderrLogger(settings.logLevel));
  const stop = untilSignal();
  let subscription: Subscription | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let printed = 0;
      void stop.signalled.then(() => resolve());
      subscription = log.readAll({ fromPosition: flags.fromPosition ?? 1, live: flags.follow }).subscribe({
        next(commit) {
          process.stdout.write(`${JSON.stringify(commitLine(commit))}\n`);
          if (flags.count !== undefined && ++printed >= flags.count) resolve();
        },
        error: reject,
        complete: resolve,
      });
    });
  } finally {
    subscription?.unsubscribe();
    stop.dispose();
    await log.close();
  }
}

/**
 * Registers `tributary tail`: prints the whole log's commits in position order, one JSON line each
 * (as `events` does), from `--from-position` (default 1), then follows new commits until Ctrl-C,
 * `--count` commits, or, with `--no-follow`, the head. Embedded (`--data-dir`) or NATS.
 *
 * @example
 * ```ts
 * register(program); // tributary tail --from-position 1200 --data-dir ./data
 * ```
 */
export function register(program: Command): void {
  addStreamOption(addReadOptions(program.command('tail')))
    .description('print the log as JSON lines, one per commit, and follow it until Ctrl-C')
    .option('--from-position <n>', 'start at this log position (default 1: the whole log)', parseCount)
    .option('--no-follow', 'stop at the head instead of following')
    .option('--count <n>', 'exit after printing this many commits', parseCount)
    .action((flags: TailFlags) => runVerb('tail', () => tail(flags)));
}
