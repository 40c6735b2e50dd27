import type { Command } from 'commander';
import { Account, Customer, Order } from '../../../actors/index.js';
import { createApp } from '../../createApp.js';
import { toErrorShape } from '../../errors.js';
import { createLogger } from '../../logging/logger.js';
import { addNatsOptions, toNatsConnectOptions, type NatsFlags } from '../natsOptions.js';

type ServeFlags = NatsFlags & { stream: string; queue: string; logLevel?: string };

/**
 * Registers `tributary serve`: hosts the example aggregates (Order, Account, Customer) on the
 * NATS engine and serves their commands in a queue group until SIGINT or SIGTERM. Shutdown is
 * graceful: the subscriptions drain (other nodes of the group take over), commands in flight
 * finish and are answered, then the log and the connection close. A second signal exits at once.
 *
 * @example
 * ```ts
 * const program = new Command('tributary');
 * register(program); // tributary serve --servers nats://127.0.0.1:4222
 * ```
 */
export function register(program: Command): void {
  addNatsOptions(program.command('serve'))
    .description('host the example aggregates and serve their commands over NATS until SIGINT/SIGTERM')
    .option('--stream <name>', 'JetStream stream of the event log', 'TRIBUTARY')
    .option('--queue <group>', 'queue group shared by every node serving these commands', 'tributary-commands')
    .option('--log-level <level>', 'pino log level (env LOG_LEVEL)')
    .action(async (flags: ServeFlags) => {
      const logger = createLogger({ level: flags.logLevel });
      let app;
      try {
        app = await createApp({
          engine: 'nats',
          ...toNatsConnectOptions(flags),
          name: 'tributary-serve',
          prefix: flags.prefix,
          stream: flags.stream,
          queue: flags.queue,
          aggregates: [Order, Account, Customer],
          logger,
        });
      } catch (err) {
        logger.fatal({ error: toErrorShape(err) }, 'cannot start serving');
        process.exitCode = 1;
        return;
      }
      const running = app;
      logger.info({ subjects: running.commands?.subjects, queue: flags.queue, stream: flags.stream }, 'tributary serve is ready');

      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals): void => {
          if (stopping) {
            logger.warn({ signal }, 'second signal: exiting without waiting');
            process.exit(1);
          }
          stopping = true;
          logger.info({ signal, inFlight: running.commands?.inFlight }, 'shutting down: draining, finishing in-flight commands');
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
