import path from 'node:path';
import type { Command } from 'commander';
import type { ProjectionStatus } from '../../projection/projection.js';
import type { ProcessStatus } from '../../process/processTypes.js';
import { readStoredProcesses } from '../../process/storedProcesses.js';
import { processStatusSubject, type RemoteProcessStatus } from '../../process/nats/natsProcessHost.js';
import { viewsHolder } from '../../views/viewsLock.js';
import { requireConfig } from '../config/settings.js';
import { addReadOptions, connectViews, embeddedDataDir, openLocalViews, readSettings, runVerb, stderrLogger, type ReadFlags } from '../readSide.js';

type StatusFlags = ReadFlags & { json?: boolean };

function table(statuses: readonly ProjectionStatus[], state: (s: ProjectionStatus) => string): string {
  const rows = [
    ['PROJECTION', 'STATE', 'POSITION', 'HEAD', 'LAG', 'SKIPPED'],
    ...statuses.map((s) => [s.name, state(s), String(s.position), String(s.headPosition), String(s.lag), String(s.skipped)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => `  ${r.map((cell, i) => (i === 0 || i === 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`);
  for (const s of statuses) {
    if (s.error) lines.push(`  ${s.name}: ${s.error.message}`);
    if (s.rebuild) lines.push(`  ${s.name}: rebuilding, at position ${s.rebuild.position} of ${s.rebuild.headPosition}`);
  }
  return `${lines.join('\n')}\n`;
}

function processTable(statuses: readonly ProcessStatus[]): string {
  const rows = [
    ['PROCESS', 'POSITION', 'HEAD', 'LAG', 'INSTANCES', 'OUTBOX', 'TIMERS', 'HALTED'],
    ...statuses.map((s) => [s.name, ...[s.position, s.headPosition, s.lag, s.instances, s.outbox, s.timers, s.halted.length].map(String)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => `  ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`);
  for (const s of statuses) for (const h of s.halted) lines.push(`  ${s.name}/${h.instance} halted on ${h.input}: ${h.error.message}`);
  return `${lines.join('\n')}\n`;
}

async function status(flags: StatusFlags): Promise<number> {
  const out = (text: string) => process.stdout.write(text);
  const settings = await readSettings(flags);
  if (settings.engine === 'nats') {
    const remote = await connectViews(settings, flags.timeout);
    try {
      const nodes = await remote.views.statuses();
      // The node running each process answers for it; a process nobody runs is left out. The
      // table only: the JSON stays the read nodes' list.
      const processes: RemoteProcessStatus[] = [];
      for (const { name } of flags.json ? [] : (settings.config?.config.processes ?? [])) {
        const reply = await remote.nc.request(processStatusSubject(settings.prefix, name), '', { timeout: flags.timeout }).catch(() => undefined);
        if (reply) processes.push(JSON.parse(reply.string()) as RemoteProcessStatus);
      }
      if (flags.json) out(`${JSON.stringify(nodes, null, 2)}\n`);
      else if (nodes.length === 0) process.stderr.write(`no read node answered on ${settings.prefix}.views.status\n`);
      else for (const node of nodes) out(`read node ${node.node}\n${table(node.projections, (s) => s.state)}`);
      if (!flags.json) for (const p of processes) out(`process manager on node ${p.node}\n${processTable([p.status])}`);
      return nodes.length === 0 ? 1 : 0;
    } finally {
      await remote.close();
    }
  }
  // Read-only: the positions are the views' checkpoints, whoever projects them.
  const dataDir = embeddedDataDir(settings);
  const { config } = requireConfig(settings.config, `the status of the projections in ${dataDir} needs their definitions`);
  const viewsDir = path.join(dataDir, 'views');
  const holder = viewsHolder(viewsDir);
  const local = await openLocalViews({
    dataDir,
    logger: stderrLogger(settings.logLevel),
    run: false,
    projections: config.projections ?? [],
    aggregates: config.aggregates,
  });
  try {
    const statuses = await local.projections.statuses();
    const processes = await readStoredProcesses(path.join(dataDir, 'processes'), statuses[0]?.headPosition ?? 0);
    if (flags.json) {
      out(`${JSON.stringify({ views: viewsDir, projectedBy: holder ?? null, projections: statuses, processes }, null, 2)}\n`);
    } else {
      out(`views ${viewsDir}: ${holder === undefined ? 'no process projects them now (positions as of the last run)' : `projected by process ${holder}`}\n`);
      out(table(statuses, () => (holder === undefined ? 'stopped' : 'unknown')));
      if (processes.length > 0) out(`process managers (as of their last commit)\n${processTable(processes)}`);
    }
    return 0;
  } finally {
    await local.close();
  }
}

/**
 * Registers `tributary status`: each projection's position, the log's head, the lag, the state and
 * the skipped events, as a table (or `--json`); on the embedded engine also each process manager's
 * position, lag, instances, outbox depth, pending timers and halted instances. On the embedded engine (`--data-dir`) it reads
 * the views' checkpoints without projecting; on NATS every read node answers for its own
 * projections (exit code 1 when none does).
 *
 * @example
 * ```ts
 * register(program); // tributary status --data-dir ./data
 * ```
 */
export function register(program: Command): void {
  addReadOptions(program.command('status'))
    .description('show the projections: position, head, lag, state')
    .option('--json', 'print JSON')
    .action((flags: StatusFlags) => runVerb('status', () => status(flags)));
}
