import { InvalidArgumentError, Option, type Command } from 'commander';
import { TributaryError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { ReadinessBounds } from '../observability/health.js';
import { parseListenAddress, type ListenAddress } from '../observability/listenAddress.js';
import type { OpsSource } from '../observability/opsSource.js';
import { startOpsServer, type OpsServer } from '../observability/opsServer.js';

/**
 * The operations flags of `serve` and `demo`, as commander parses them.
 *
 * @example
 * ```ts
 * const flags: HttpFlags = { http: { host: '127.0.0.1', port: 9464 }, maxLagSeconds: 30 };
 * ```
 */
export type HttpFlags = { http?: ListenAddress; maxLagCommits?: number; maxLagSeconds?: number };

function listenAddress(value: string): ListenAddress {
  try {
    return parseListenAddress(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof TributaryError ? err.message : String(err));
  }
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative number, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Adds `--http <host:port>` (off by default; loopback unless a host is given) and the readiness
 * lag bounds.
 *
 * @example
 * ```ts
 * addHttpOptions(program.command('serve')).action(async (flags: HttpFlags) => startCliOps(flags, app, logger));
 * ```
 */
export function addHttpOptions(command: Command): Command {
  return command
    .option('--http <host:port>', 'serve /metrics, /healthz, /readyz and the dashboard at / here (":9464" = loopback)', listenAddress)
    .option('--max-lag-commits <n>', '/readyz answers 503 while a projection lags more commits than this', nonNegative)
    .option('--max-lag-seconds <s>', "/readyz answers 503 while a projection's oldest unapplied commit is older than this", nonNegative);
}

/**
 * Adds `--log-format json|pretty` (default: pretty on a terminal, JSON otherwise).
 *
 * @example
 * ```ts
 * addLogFormatOption(program.command('serve'));
 * ```
 */
export function addLogFormatOption(command: Command): Command {
  return command.addOption(new Option('--log-format <format>', 'log lines as JSON or pretty-printed (default: pretty on a terminal)').choices(['json', 'pretty']));
}

/**
 * Starts the operations server when `--http` was given; logs where it listens.
 *
 * @example
 * ```ts
 * const ops = await startCliOps(flags, app, logger);
 * await ops?.close();
 * ```
 */
export async function startCliOps(flags: HttpFlags, source: OpsSource, logger: Logger): Promise<OpsServer | undefined> {
  if (flags.http === undefined) return undefined;
  const bounds: ReadinessBounds = { maxLagCommits: flags.maxLagCommits, maxLagSeconds: flags.maxLagSeconds };
  const ops = await startOpsServer({ app: source, listen: flags.http, bounds, logger });
  logger.info({ url: ops.url }, `operations endpoints on ${ops.url} (/metrics, /healthz, /readyz, dashboard at /)`);
  return ops;
}
