import { InvalidArgumentError, type Command } from 'commander';
import type { NatsConfig } from '../defineConfig.js';
import type { NatsConnectOptions } from '../eventLog/nats/connectNats.js';

/**
 * The NATS flags shared by the subcommands that talk to NATS, as commander parses them.
 *
 * @example
 * ```ts
 * const flags: NatsFlags = { servers: 'nats://127.0.0.1:4222', prefix: 'tributary' };
 * ```
 */
export type NatsFlags = {
  servers?: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  prefix?: string;
};

/**
 * Adds the connection flags to a subcommand. Every flag falls back to its environment variable
 * (read by `connectNats`), which is the better place for secrets: command lines show up in `ps`,
 * then to the config's `nats` section.
 *
 * @example
 * ```ts
 * addNatsOptions(program.command('send')).action(async (opts: NatsFlags) => connectNats(toNatsConnectOptions(opts)));
 * ```
 */
export function addNatsOptions(command: Command): Command {
  return command
    .option('-s, --servers <urls>', 'NATS server URL(s), comma-separated (env NATS_URL; default nats://127.0.0.1:4222)')
    .option('--user <user>', 'user name (env NATS_USER)')
    .option('--password <password>', 'password (env NATS_PASSWORD)')
    .option('--token <token>', 'auth token (env NATS_TOKEN)')
    .option('--creds <file>', '.creds file with a user JWT and nkey seed (env NATS_CREDS; an nkey seed: env NATS_NKEY_SEED)')
    .option('--tls-ca <file>', 'CA certificate to verify the server (env NATS_CA)')
    .option('--tls-cert <file>', 'client certificate (env NATS_CERT)')
    .option('--tls-key <file>', 'client certificate key (env NATS_KEY)')
    .option('--prefix <prefix>', 'subject prefix: commands go to <prefix>.cmd.<Aggregate>.<id> (env TRIBUTARY_PREFIX; default tributary)');
}

const CREDENTIAL_VARIABLES = ['NATS_USER', 'NATS_PASSWORD', 'NATS_TOKEN', 'NATS_NKEY_SEED', 'NATS_CREDS'] as const;
const TLS_VARIABLES = ['NATS_CA', 'NATS_CERT', 'NATS_KEY'] as const;

/**
 * Turns the parsed flags into `connectNats` options: flag > environment > the config's `nats`
 * section. What the environment gives is left out, so that `connectNats` reads it; the config's
 * credentials (and TLS files) apply only when neither flags nor environment give any.
 *
 * @example
 * ```ts
 * const nc = await connectNats(toNatsConnectOptions(command.opts<NatsFlags>()));
 * ```
 */
export function toNatsConnectOptions(
  flags: NatsFlags,
  env: Readonly<Record<string, string | undefined>> = process.env,
  config: NatsConfig = {},
): NatsConnectOptions {
  const options: NatsConnectOptions = { name: 'tributary-cli' };
  const inEnv = (names: readonly string[]) => names.some((name) => env[name] !== undefined && env[name] !== '');
  if (flags.servers !== undefined) options.servers = flags.servers.split(',').map((s) => s.trim()).filter((s) => s !== '');
  else if (!inEnv(['NATS_URL']) && config.servers !== undefined) options.servers = config.servers;
  const credentialFlags = flags.user !== undefined || flags.password !== undefined || flags.token !== undefined || flags.creds !== undefined;
  if (credentialFlags) {
    // A user on the command line with the password in the environment (where secrets belong) is
    // one credential: connectNats ignores the environment once the code gives any credential.
    if (flags.user !== undefined || flags.password !== undefined) {
      options.user = flags.user ?? env.NATS_USER;
      options.password = flags.password ?? env.NATS_PASSWORD;
    }
    if (flags.token !== undefined) options.token = flags.token;
    if (flags.creds !== undefined) options.credsFile = flags.creds;
  } else if (!inEnv(CREDENTIAL_VARIABLES)) {
    for (const key of ['user', 'password', 'token', 'nkeySeed', 'credsFile'] as const) {
      if (config[key] !== undefined) options[key] = config[key];
    }
  }
  if (flags.tlsCa !== undefined || flags.tlsCert !== undefined || flags.tlsKey !== undefined) {
    options.tls = { caFile: flags.tlsCa, certFile: flags.tlsCert, keyFile: flags.tlsKey };
  } else if (!inEnv(TLS_VARIABLES) && config.tls !== undefined) {
    options.tls = config.tls;
  }
  return options;
}

/**
 * A commander argument parser for positive integers (milliseconds, versions).
 *
 * @example
 * ```ts
 * command.option('--timeout <ms>', 'reply timeout', parseCount, 5000);
 * ```
 */
export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}
