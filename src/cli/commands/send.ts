import type { Command as Program } from 'commander';
import type { Command, CommandResult } from '../../commands/command.js';
import { createCommandClient } from '../../commands/commandClient.js';
import { ValidationError, toErrorShape } from '../../errors.js';
import { connectNats } from '../../eventLog/nats/connectNats.js';
import { addConfigOption, resolveSettings, type SettingFlags } from '../config/settings.js';
import { addNatsOptions, parseCount } from '../natsOptions.js';

type SendFlags = SettingFlags & { commandId?: string; correlationId?: string; expectedVersion?: number; timeout: number };

function parsePayload(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new ValidationError(`the payload is not valid JSON: ${(err as Error).message}`, { field: 'payload' });
  }
}

async function send(command: Command, flags: SendFlags): Promise<CommandResult> {
  const settings = await resolveSettings(flags, { needsConfig: false });
  const nc = await connectNats({ ...settings.connect, maxReconnectAttempts: 0 });
  try {
    const client = createCommandClient({ nc, prefix: settings.prefix, timeout: flags.timeout });
    const result = await client.send(command);
    await client.close();
    return result;
  } finally {
    await nc.drain().catch(() => undefined);
  }
}

/**
 * Registers `tributary send <Aggregate> <id> <Command> [json]`: sends one command over NATS and
 * prints the {@link CommandResult} as JSON on stdout. The exit code is 0 when it is `ok`, 1
 * otherwise (including a connection failure or a payload that is not JSON, printed in the same
 * `{ ok: false, error }` form).
 *
 * @example
 * ```ts
 * register(program); // tributary send Account a-1 Deposit '{"amount": 500}' --command-id dep-1
 * ```
 */
export function register(program: Program): void {
  addConfigOption(addNatsOptions(program.command('send')))
    .description('send one command over NATS and print the result as JSON')
    .argument('<aggregate>', 'aggregate name, e.g. Account')
    .argument('<id>', 'aggregate id, e.g. a-1')
    .argument('<command>', 'command type, e.g. Deposit')
    .argument('[payload]', 'payload as JSON', '{}')
    .option('--command-id <id>', 'idempotency key; set it to retry safely (default: a random UUID)')
    .option('--correlation-id <id>', 'correlation id (default: the command id)')
    .option('--expected-version <n>', 'refuse with conflict unless the aggregate is at this version', parseCount)
    .option('--timeout <ms>', 'how long to wait for the reply', parseCount, 5000)
    .action(async (aggregate: string, id: string, type: string, payloadJson: string, flags: SendFlags) => {
      let result: CommandResult;
      try {
        const command: Command = {
          type,
          aggregate,
          id,
          payload: parsePayload(payloadJson),
          commandId: flags.commandId,
          correlationId: flags.correlationId,
          expectedVersion: flags.expectedVersion,
        };
        result = await send(command, flags);
      } catch (err) {
        result = { ok: false, error: toErrorShape(err) };
      }
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exitCode = result.ok ? 0 : 1;
    });
}
