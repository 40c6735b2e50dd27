import { Option, type Command } from 'commander';
import { createApp } from '../../createApp.js';
import { ConfigError, toErrorShape } from '../../errors.js';
import { createLogger } from '../../logging/logger.js';
import { activeTraceFields } from '../../observability/tracing.js';
import { addConfigOption, addStreamOption, requireConfig, resolveSettings, type SettingFlags, type Settings } from '../config/settings.js';
import { addHttpOptions, addLogFormatOption, startCliOps, type HttpFlags } from '../httpOptions.js';
import { addNatsOptions } from '../natsOptions.js';
import { addStreamOptions, toStreamOptions, type StreamFlags } from '../streamOptions.js';

type Role = 'write' | 'read' | 'all';

/** How long a graceful shutdown may take before `serve` exits anyway: well under Kubernetes' 30 s. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
type ServeFlags = SettingFlags & HttpFlags & StreamFlags & { role?: Role; logFormat?: 'json' | 'pretty' };

// Which part of the app a role runs: the write side serves commands, the read side projects.
function roleOptions(flags: ServeFlags, settings: Settings) {
  const { config } = requireConfig(settings.config, 'serve hosts the aggregates of a config');
  const role: Role = flags.role ?? (settings.dataDir === undefined ? 'write' : 'all');
  if (role !== 'write' && settings.dataDir === undefined) {
    throw new ConfigError(`--role ${role} runs the projections: give --data-dir (or dataDir in the config), the directory for their views`);
  }
  const reads = role !== 'write';
  return {
    role,
    aggregates: role === 'read' ? [] : config.aggregates,
    // Processes send commands: they run beside the write side, which hosts what they command.
    ...(role !== 'read' && config.processes !== undefined && { processes: config.processes }),
    serveCommands: role !== 'read',
    ...(reads && { projections: config.projections ?? [], dataDir: settings.dataDir }),
  };
}

/**
 * Registers `tributary serve`: a node of the NATS engine until SIGINT or SIGTERM, in one of three
 * roles, so that the write and read sides scale apart:
 * - `write`: hosts the config's aggregates and serves their commands in a queue group (the default
 *   without a data directory);
 * - `read`: runs the config's projections into `<data-dir>/views`, publishes their changes on
 *   `<prefix>.view.<projection>.<key>` and answers `<prefix>.views.>` (queries, status, rebuild);
 * - `all`: both (the default with a data directory: `--data-dir` or the config's `dataDir`).
 *
 * The domain comes from the config (`--config`, `TRIBUTARY_CONFIG` or `./tributary.config.*`); without
 * one it says how to create it.
 *
 * Shutdown is graceful: the node hands its shards over, the subscriptions drain (other nodes of
 * the group take over), commands in flight finish and are answered, the projections commit their
 * batch in flight, then the log and the connection close. It ends within `--shutdown-timeout`
 * (default {@link DEFAULT_SHUTDOWN_TIMEOUT_MS}) even when nats-server is unreachable, logging the
 * commands left unanswered. A second signal exits at once.
 *
 * @example
 * ```ts
 * const program = new Command('tributary');
 * register(program); // tributary serve --servers nats://127.0.0.1:4222
 * ```
 */
export function register(program: Command): void {
  addStreamOptions(addLogFormatOption(addHttpOptions(addStreamOption(addConfigOption(addNatsOptions(program.command('serve')))))))
    .description("host the config's aggregates, projections and process managers, and serve them over NATS until SIGINT/SIGTERM")
    .option('--queue <group>', 'queue group shared by every node serving these commands (env TRIBUTARY_QUEUE; config nats.queue; default tributary-commands)')
    .addOption(
      new Option('--role <role>', 'write: aggregates and commands; read: projections and views; all: both (default: all with --data-dir, else write)').choices([
        'write',
        'read',
        'all',
      ]),
    )
    .option('--data-dir <dir>', 'directory of the projections\' views (<dir>/views), for --role read and all (env TRIBUTARY_DATA_DIR; config dataDir)')
    .option('--log-level <level>', 'pino log level (env LOG_LEVEL; config logLevel; default info)')
    .action(async (flags: ServeFlags) => {
      let logger = createLogger({ level: flags.logLevel, format: flags.logFormat, mixin: activeTraceFields });
      let app;
      let ops;
      let role: Role;
      let settings: Settings;
      try {
        settings = await resolveSettings(flags, { needsConfig: true });
        logger = createLogger({ level: settings.logLevel, format: flags.logFormat, mixin: activeTraceFields });
        const { role: chosen, ...parts } = roleOptions(flags, settings);
        role = chosen;
        app = await createApp({
          engine: 'nats',
          ...settings.connect,
          name: 'tributary-serve',
          prefix: settings.prefix,
          stream: settings.stream,
          ...toStreamOptions(flags, settings.config?.config.nats),
          queue: settings.queue,
          ...parts,
          logger,
          metrics: { processMetrics: true },
        });
        ops = await startCliOps(flags, app, logger);
      } catch (err) {
        // A config problem is the user's to fix: said plainly too, not only in a JSON log line.
        if (err instanceof ConfigError) process.stderr.write(`tributary serve: ${err.message}\n`);
        logger.fatal({ error: toErrorShape(err) }, 'cannot start serving');
        // Bounded like a shutdown: a half-started app must not keep the process alive.
        setTimeout(() => process.exit(1), flags.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT_MS).unref();
        await app?.close();
        process.exitCode = 1;
        return;
      }
      const http = ops;
      const running = app;
      logger.info(
        { role, config: settings.config?.file, subjects: running.commands?.subjects, views: running.viewService?.subjects, queue: settings.queue, stream: settings.stream },
        'tributary serve is ready',
      );

      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals): void => {
          if (stopping) {
            logger.warn({ signal }, 'second signal: exiting without waiting');
            process.exit(1);
          }
          stopping = true;
          const deadline = flags.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
          logger.info({ signal, inFlight: running.commands?.inFlight, deadline }, 'shutting down: draining, finishing in-flight commands');
          // A drain needs the server (to confirm unsubscribes, to ack the last appends): when it is
          // unreachable, give up at the deadline rather than outlive the orchestrator's grace period.
          setTimeout(() => {
            logger.error(
              { deadline, unanswered: running.commands?.inFlight ?? 0 },
              'shutdown deadline passed: exiting with these commands unanswered; their senders see a timeout, ' +
                'and a retry with the same commandId is safe',
            );
            process.exit(1);
          }, deadline).unref();
          Promise.all([http?.close(), running.close()]).then(
            () => {
              logger.info('stopped');
              resolve();
            },
            (err: unknown) => {
              logger.error({ err }, 'shutdown failed');
              process.exitCode = 1;
              resolve();
            },
          );
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
    });
}
