import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import path from 'node:path';
import { ConfigError, InternalError } from '../../errors.js';
import type { ProcessDefinition } from '../../process/defineProcess.js';
import { dryRunRebuild } from '../../process/storedProcesses.js';
import { configProjection, type Settings } from '../config/settings.js';
import { addReadOptions, connectViews, embeddedDataDir, openLocalViews, readSettings, runVerb, stderrLogger, type ReadFlags } from '../readSide.js';

/**
 * Progress bars on stderr, one per read node (one in all on the embedded engine), only when stderr
 * is a terminal: piped output stays clean.
 */
function createBars(projection: string): { update(node: string, position: number, headPosition: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: `  rebuilding ${projection}{node}  {bar} {percentage}%  {value}/{total}`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  let stopped = false;
  return {
    update(node, position, headPosition) {
      let bar = bars.get(node);
      if (!bar) {
        bar = multi.create(Math.max(1, headPosition), 0, { node: node === '' ? '' : ` on ${node}` });
        bars.set(node, bar);
      }
      bar.setTotal(Math.max(1, headPosition, position));
      bar.update(position);
    },
    stop() {
      if (!stopped) multi.stop();
      stopped = true;
    },
  };
}

// A process's state is what it decided, and its commands went out: replaying the log into a fresh
// state would decide them again, with other timer firings and answers. Only a dry run is allowed.
async function rebuildProcess(definition: ProcessDefinition, settings: Settings, flags: RebuildFlags): Promise<void> {
  const { name } = definition;
  if (!flags.dryRun) {
    throw new ConfigError(
      `${name} is a process manager: it is not rebuilt, since replaying the log would decide its commands again (they were sent already) with other timer firings and answers. ` +
        `\`tributary rebuild ${name} --dry-run\` replays each instance's recorded inputs and compares the result with its state, writing nothing.`,
      { process: name },
    );
  }
  if (settings.engine === 'nats') throw new ConfigError(`rebuild --dry-run of process ${name} reads its local state: use --data-dir`, { process: name });
  const report = await dryRunRebuild(path.join(embeddedDataDir(settings), 'processes'), definition);
  process.stdout.write(`${JSON.stringify({ process: name, dryRun: true, ...report }, null, 2)}\n`);
  if (report.differences.length > 0) throw new InternalError(`the replay of ${name} differs from its state for ${report.differences.length} instances`);
}

type RebuildFlags = ReadFlags & { dryRun?: boolean };

async function rebuild(name: string, flags: RebuildFlags): Promise<void> {
  const settings = await readSettings(flags);
  const definition = settings.config?.config.processes?.find((p) => p.name === name);
  if (definition) return rebuildProcess(definition, settings, flags);
  const bars = createBars(name);
  try {
    if (settings.engine === 'nats') {
      const remote = await connectViews(settings, flags.timeout);
      try {
        const outcomes = await remote.views.rebuild(name, { onProgress: (p) => bars.update(p.node, p.position, p.headPosition) });
        bars.stop();
        process.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
        const failed = outcomes.filter((o) => !o.ok);
        if (failed.length > 0) {
          throw new InternalError(`the rebuild failed on ${failed.map((o) => `${o.node} (${o.ok ? '' : o.error.message})`).join(', ')}`);
        }
      } finally {
        await remote.close();
      }
      return;
    }
    const definition = configProjection(settings, name);
    const local = await openLocalViews({ dataDir: embeddedDataDir(settings), logger: stderrLogger(settings.logLevel), run: true, projections: [definition], aggregates: settings.config?.config.aggregates ?? [] });
    try {
      const result = await local.projections.get(definition).rebuild({ onProgress: (p) => bars.update('', p.position, p.headPosition) });
      bars.stop();
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await local.close();
    }
  } finally {
    bars.stop();
  }
}

/**
 * Registers `tributary rebuild <projection>`: replays the whole log into a fresh view and swaps it
 * in atomically (reads never see a half-built view), with a progress bar on stderr when it is a
 * terminal, then prints the result as JSON. On the embedded engine (`--data-dir`) this process
 * does it (no other process may project those views meanwhile); on NATS every read node hosting
 * the projection rebuilds its own views, one bar each, and the output lists each node's outcome.
 * A process manager is refused (its commands were sent already), unless `--dry-run`.
 *
 * @example
 * ```ts
 * register(program); // tributary rebuild OrderSummary --data-dir ./data
 * ```
 */
export function register(program: Command): void {
  addReadOptions(program.command('rebuild'))
    .description('replay the log into a fresh view of a projection and swap it in atomically')
    .argument('<projection>', 'projection name, e.g. OrderSummary')
    .option('--dry-run', 'for a process manager (e.g. Fulfilment): replay its recorded inputs and compare, writing nothing')
    .action((name: string, flags: RebuildFlags) => runVerb('rebuild', () => rebuild(name, flags)));
}
