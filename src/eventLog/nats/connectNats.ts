import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  nkeys,
  type Authenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { ConfigError, ConnectionError } from '../../errors.js';

/**
 * How to reach and authenticate to NATS. Every field falls back to an environment variable:
 * `servers` to `NATS_URL` (comma-separated), `user`/`password` to `NATS_USER`/`NATS_PASSWORD`,
 * `token` to `NATS_TOKEN`, `nkeySeed` to `NATS_NKEY_SEED`, `credsFile` to `NATS_CREDS`, and
 * `tls` to `NATS_CA`/`NATS_CERT`/`NATS_KEY`. When the code gives any credential, the credential
 * variables of the environment are ignored, so two sources are never mixed.
 *
 * @example
 * ```ts
 * const options: NatsConnectOptions = { servers: 'nats://10.0.0.5:4222', user: 'app', password: process.env.APP_PW };
 * ```
 */
export type NatsConnectOptions = {
  /** Server URL(s). Default `NATS_URL`, else `nats://127.0.0.1:4222`. */
  servers?: string | readonly string[];
  user?: string;
  password?: string;
  token?: string;
  /** An nkey user seed (`SU...`). */
  nkeySeed?: string;
  /** Path to a `.creds` file (user JWT and seed). */
  credsFile?: string;
  /** TLS files; giving any of them requires TLS. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** Connection name shown by the server's monitoring. Default `tributary`. */
  name?: string;
  /** Milliseconds to wait for the first connection. Default 5000. */
  connectTimeout?: number;
  /** Reconnect attempts per server after a disconnect; -1 (default) never gives up. */
  maxReconnectAttempts?: number;
  /** Milliseconds between reconnect attempts. Default 1000. */
  reconnectTimeWait?: number;
  /** Where the `NATS_*` variables are read from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
};

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/**
 * Resolves {@link NatsConnectOptions} and the environment into the options of the nats.js
 * `connect`. Throws {@link ConfigError} for combinations that cannot work (a password without a
 * user, an unreadable creds file, a malformed nkey seed, a TLS cert without its key).
 *
 * @example
 * ```ts
 * const opts = resolveNatsConnectOptions({}, { NATS_URL: 'nats://a:4222,nats://b:4222', NATS_TOKEN: 't' });
 * // { servers: ['nats://a:4222', 'nats://b:4222'], token: 't', noAsyncTraces: true, ... }
 * ```
 */
export function resolveNatsConnectOptions(
  options: NatsConnectOptions = {},
  env: Readonly<Record<string, string | undefined>> = options.env ?? process.env,
): NodeConnectionOptions {
  const servers =
    options.servers !== undefined
      ? typeof options.servers === 'string'
        ? [options.servers]
        : [...options.servers]
      : nonEmpty(env.NATS_URL)
          ?.split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '') ?? ['nats://127.0.0.1:4222'];
  if (servers.length === 0) throw new ConfigError('no NATS server given: set `servers` or NATS_URL');

  const fromCode =
    options.user !== undefined ||
    options.password !== undefined ||
    options.token !== undefined ||
    options.nkeySeed !== undefined ||
    options.credsFile !== undefined;
  const user = fromCode ? options.user : nonEmpty(env.NATS_USER);
  const password = fromCode ? options.password : nonEmpty(env.NATS_PASSWORD);
  const token = fromCode ? options.token : nonEmpty(env.NATS_TOKEN);
  const nkeySeed = fromCode ? options.nkeySeed : nonEmpty(env.NATS_NKEY_SEED);
  const credsFile = fromCode ? options.credsFile : nonEmpty(env.NATS_CREDS);

  const resolved: NodeConnectionOptions = {
    servers,
    name: options.name ?? 'tributary',
    timeout: options.connectTimeout ?? 5000,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    reconnectTimeWait: options.reconnectTimeWait ?? 1000,
    // Async stack traces cost two Error objects per request: about half of the publish throughput.
    noAsyncTraces: true,
  };

  if (password !== undefined && user === undefined) {
    throw new ConfigError('a NATS password was given without a user (set `user` or NATS_USER)');
  }
  if (user !== undefined) {
    if (password === undefined) throw new ConfigError(`NATS user "${user}" was given without a password`);
    resolved.user = user;
    resolved.pass = password;
  }
  if (token !== undefined) resolved.token = token;

  const authenticators: Authenticator[] = [];
  if (nkeySeed !== undefined) {
    const seed = new TextEncoder().encode(nkeySeed.trim());
    try {
      nkeys.fromSeed(seed);
    } catch (err) {
      throw new ConfigError(`the NATS nkey seed is not valid: ${(err as Error).message}`, undefined, { cause: err });
    }
    authenticators.push(nkeyAuthenticator(seed));
  }
  if (credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(credsFile);
    } catch (err) {
      throw new ConfigError(`cannot read the NATS creds file ${credsFile}: ${(err as Error).message}`, { credsFile }, {
        cause: err,
      });
    }
    authenticators.push(credsAuthenticator(creds));
  }
  if (authenticators.length > 0) resolved.authenticator = authenticators;

  const caFile = options.tls ? options.tls.caFile : nonEmpty(env.NATS_CA);
  const certFile = options.tls ? options.tls.certFile : nonEmpty(env.NATS_CERT);
  const keyFile = options.tls ? options.tls.keyFile : nonEmpty(env.NATS_KEY);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError('a TLS client certificate needs both a cert file and a key file (NATS_CERT and NATS_KEY)');
  }
  if (options.tls || caFile !== undefined || certFile !== undefined) {
    resolved.tls = {
      ...(caFile !== undefined ? { caFile } : {}),
      ...(certFile !== undefined ? { certFile } : {}),
      ...(keyFile !== undefined ? { keyFile } : {}),
    };
  }
  return resolved;
}

/**
 * Hides `user:password@` in server URLs, so that error messages and logs never show secrets.
 *
 * @example
 * ```ts
 * redactServers(['nats://app:s3cret@host:4222']); // 'nats://***@host:4222'
 * ```
 */
export function redactServers(servers: NodeConnectionOptions['servers']): string {
  const list = servers === undefined ? [] : typeof servers === 'string' ? [servers] : servers;
  return list.map((s) => s.replace(/\/\/[^/@]*@/, '//***@')).join(', ');
}

/**
 * Connects to NATS with options from code and the environment (see {@link NatsConnectOptions}).
 * A connection that cannot be made or is refused (a wrong password, a server that is down) is a
 * {@link ConnectionError} naming the servers and the reason; bad options are a {@link ConfigError}.
 * Once connected, the client reconnects by itself (forever, by default).
 *
 * @example
 * ```ts
 * const nc = await connectNats({ servers: 'nats://127.0.0.1:4222', user: 'app', password: 's3cret' });
 * // ...
 * await nc.drain();
 * ```
 */
export async function connectNats(options: NatsConnectOptions = {}): Promise<NatsConnection> {
  const resolved = resolveNatsConnectOptions(options);
  try {
    return await connect(resolved);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const refused = /authorization|authentication|auth/i.test(reason);
    throw new ConnectionError(
      `cannot connect to NATS at ${redactServers(resolved.servers)}: ${reason}` +
        (refused ? ' (the server refused the credentials)' : ''),
      { servers: redactServers(resolved.servers) },
      { cause: err },
    );
  }
}
