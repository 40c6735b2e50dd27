import type { Command } from 'commander';
import { filter, type Observable, type Subscription } from 'rxjs';
import type { ViewChange } from '../../projection/projection.js';
import { parseCount } from '../natsOptions.js';
import { configProjection } from '../config/settings.js';
import { addReadOptions, connectViews, embeddedDataDir, openLocalViews, readSettings, runVerb, stderrLogger, type ReadFlags } from '../readSide.js';

type WatchFlags = ReadFlags & { fromPosition?: number; count?: number };

type Source = { readonly changes: Observable<ViewChange>; close(): Promise<void> };

async function open(name: string, key: string | undefined, flags: WatchFlags): Promise<Source> {
  const settings = await readSettings(flags);
  const logger = stderrLogger(settings.logLevel);
  if (settings.engine === 'nats') {
    // Reconnects, and resumes after each reconnect when --from-position asked for no gap.
    const remote = await connectViews(settings, flags.timeout, true);
    return { changes: remote.views.watch(name, key, { fromPosition: flags.fromPosition }), close: remote.close };
  }
  const definition = configProjection(settings, name);
  const local = await openLocalViews({ dataDir: embeddedDataDir(settings), logger, run: true, projections: [definition], aggregates: settings.config?.config.aggregates ?? [] });
  const projection = local.projections.get(definition);
  const changes =
    flags.fromPosition !== undefined
      ? projection.changesFrom(flags.fromPosition, key === undefined ? {} : { key })
      : key === undefined
        ? projection.changes$
        : projection.changes$.pipe(filter((c) => c.key === key));
  return { changes, close: local.close };
}

async function watch(name: string, key: string | undefined, flags: WatchFlags): Promise<void> {
  const source = await open(name, key, flags);
  try {
    await new Promise<void>((resolve, reject) => {
      let printed = 0;
      let subscription: Subscription | undefined;
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        subscription?.unsubscribe();
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      subscription = source.changes.subscribe({
        next(change) {
          process.stdout.write(`${JSON.stringify(change)}\n`);
          if (flags.count !== undefined && ++printed >= flags.count) queueMicrotask(stop);
        },
        error: (err: unknown) => {
          stop();
          reject(err as Error);
        },
        complete: stop,
      });
    });
  } finally {
    await source.close();
  }
}

/**
 * Registers `tributary watch <projection> [key]`: prints the changes of a projection (or of one
 * key) as they are committed, one JSON line each (`{"projection","key","value","position"}`,
 * `value` null for a deletion), until Ctrl-C or `--count` changes. `--from-position <n>` first
 * replays what changed since position `n` (the current state of each key changed since, at the
 * view's position; `1` prints the whole current view), then follows with no gap. On the embedded
 * engine this process runs the projection over `--data-dir` (so no other process may project
 * those views meanwhile); on NATS it follows `<prefix>.view.<projection>.<key>` and asks a read
 * node for the state to resume from.
 *
 * @example
 * ```ts
 * register(program); // tributary watch OrderSummary --from-position 1
 * ```
 */
export function register(program: Command): void {
  addReadOptions(program.command('watch'))
    .description('print the changes of a projection (or one key) as JSON lines as they are committed')
    .argument('<projection>', 'projection name, e.g. OrderSummary')
    .argument('[key]', 'only this key')
    .option('--from-position <n>', 'resume: replay what changed since this log position (1: the whole view), then follow', parseCount)
    .option('--count <n>', 'exit after printing this many changes', parseCount)
    .action((name: string, key: string | undefined, flags: WatchFlags) => runVerb('watch', () => watch(name, key, flags)));
}
