import { Option, type Command } from 'commander';
import { Account, Customer, Order } from '../../../actors/index.js';
import { exampleProjections } from '../../../projections/index.js';
import { createApp } from '../../createApp.js';
import { ConfigError, toErrorShape } from '../../errors.js';
import { createLogger } from '../../logging/logger.js';
import { addNatsOptions, toNatsConnectOptions, type NatsFlags } from '../natsOptions.js';
import { addStreamOptions, toStreamOptions, type StreamFlags } from '../streamOptions.js';

type Role = 'write' | 'read' | 'all';

/** How long a graceful shutdown may take before `serve` exits anyway: well under Kubernetes' 30 s. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
type ServeFlags = NatsFlags & StreamFlags & { stream: string; queue: string; logLevel?: string; role?: Role; dataDir?: string };

// Which part of the app a role runs: the write side serves commands, the read side projects.
function roleOptions(flags: ServeFlags) {
  const role: Role = flags.role ?? (flags.dataDir === undefined ? 'write' : 'all');
  if (role !== 'write' && flags.dataDir === undefined) {
    throw new ConfigError(`--role ${role} runs the projections: give --data-dir, the directory for their views`);
  }
  const reads = role !== 'write';
  return {
    role,
    aggregates: role === 'read' ? [] : [Order, Account, Customer],
    serveCommands: role !== 'read',
    ...(reads && { projections: exampleProjections, dataDir: flags.dataDir }),
  };
}

/**
 * Registers `tributary serve`: a node of the NATS engine until SIGINT or SIGTERM, in one of three
 * roles, so that the write and read sides scale apart:
 * - `write`: hosts the example aggregates (Order, Account, Customer) and serves their commands in
 *   a queue group (the default without `--data-dir`);
 * - `read`: runs the example projections into `<data-dir>/views`, publishes their changes on
 *   `<prefix>.view.<projection>.<key>` and answers `<prefix>.views.>` (queries, status, rebuild);
 * - `all`: both (the default with `--data-dir`).
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
  addStreamOptions(addNatsOptions(program.command('serve')))
    .description('host the example aggregates and serve their commands over NATS until SIGINT/SIGTERM')
    .option('--stream <name>', 'JetStream stream of the event log', 'TRIBUTARY')
    .option('--queue <group>', 'queue group shared by every node serving these commands', 'tributary-commands')
    .addOption(
      new Option('--role <role>', 'write: aggregates and commands; read: projections and views; all: both (default: all with --data-dir, else write)').choices([
        'write',
        'read',
        'all',
      ]),
    )
    .option('--data-dir <dir>', 'directory of the projections\' views (<dir>/views), for --role read and all')
    .option('--log-level <level>', 'pino log level (env LOG_LEVEL)')
    .action(async (flags: ServeFlags) => {
      const logger = createLogger({ level: flags.logLevel });
      let app;
      let role: Role;
      try {
        const { role: chosen, ...parts } = roleOptions(flags);
        role = chosen;
        app = await createApp({
          engine: 'nats',
          ...toNatsConnectOptions(flags),
          name: 'tributary-serve',
          prefix: flags.prefix,
          stream: flags.stream,
          ...toStreamOptions(flags),
          queue: flags.queue,
          ...parts,
          logger,
        });
      } catch (err) {
        logger.fatal({ error: toErrorShape(err) }, 'cannot start serving');
        process.exitCode = 1;
        return;
      }
      const running = app;
      logger.info(
        { role, subjects: running.commands?.subjects, views: running.viewService?.subjects, queue: flags.queue, stream: flags.stream },
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
          running.close().then(
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
