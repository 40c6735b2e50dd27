import type { Command } from 'commander';
import { TimeoutError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { parseCount } from '../natsOptions.js';
import { configProjection, type Settings } from '../config/settings.js';
import { addReadOptions, connectViews, embeddedDataDir, openLocalViewsIfFree, readSettings, runVerb, stderrLogger, type ReadFlags } from '../readSide.js';

type QueryFlags = ReadFlags & { minPosition?: number };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Embedded: this process catches the projection up to the log's head (or --min-position) and
// reads. When another process projects these views, it reads them as they are, polling the
// checkpoint until it reaches --min-position.
async function queryLocal(name: string, key: string, flags: QueryFlags, settings: Settings, logger: Logger): Promise<unknown> {
  const definition = configProjection(settings, name);
  const dataDir = embeddedDataDir(settings);
  const deadline = Date.now() + flags.timeout;
  for (;;) {
    const local = await openLocalViewsIfFree({ dataDir, logger, projections: [definition], aggregates: settings.config?.config.aggregates ?? [] });
    try {
      const projection = local.projections.get(definition);
      if (local.running) {
        const wanted = flags.minPosition ?? (await local.log.headPosition());
        return await projection.get(key, { minPosition: wanted, timeout: flags.timeout });
      }
      const { position } = await projection.status();
      if (flags.minPosition === undefined || position >= flags.minPosition) return await projection.get(key);
      if (Date.now() >= deadline) {
        throw new TimeoutError(
          `projection ${name} did not reach position ${flags.minPosition} within ${flags.timeout} ms (it is at position ${position}; another process projects ${local.viewsDir})`,
          { projection: name, position: flags.minPosition, reached: position },
        );
      }
    } finally {
      await local.close();
    }
    await sleep(100);
  }
}

async function query(name: string, key: string, flags: QueryFlags): Promise<number> {
  const settings = await readSettings(flags);
  const logger = stderrLogger(settings.logLevel);
  let value: unknown;
  if (settings.engine === 'embedded') {
    value = await queryLocal(name, key, flags, settings, logger);
  } else {
    const remote = await connectViews(settings, flags.timeout);
    try {
      value = await remote.views.get(name, key, { minPosition: flags.minPosition, timeout: flags.timeout });
    } finally {
      await remote.close();
    }
  }
  process.stdout.write(`${JSON.stringify(value ?? null, null, 2)}\n`);
  return value === undefined ? 1 : 0;
}

/**
 * Registers `tributary query <projection> <key>`: prints the value at `key` as JSON on stdout.
 * Exit code 0 when found, 1 when absent (it prints `null`), 2 on an error (on stderr). On the
 * embedded engine (`--data-dir`) it first catches the projection up to the log's head, unless
 * another process projects those views (then it reads them as they are); on NATS it asks a read
 * node. `--min-position <n>` waits until the view has processed position `n`: pass the position a
 * command returned to read your own write.
 *
 * @example
 * ```ts
 * register(program); // tributary query AccountBalance a-1 --data-dir ./data
 * ```
 */
export function register(program: Command): void {
  addReadOptions(program.command('query'))
    .description('print the value of one key of a projection as JSON (exit 1 when absent)')
    .argument('<projection>', 'projection name, e.g. AccountBalance')
    .argument('<key>', 'key in the view, e.g. an account id')
    .option('--min-position <n>', 'first wait until the view has processed this log position (read your own write)', parseCount)
    .action((name: string, key: string, flags: QueryFlags) => runVerb('query', () => query(name, key, flags), 2));
}
