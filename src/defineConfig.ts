import type { AnyAggregateDefinition } from './aggregate/defineAggregate.js';
import type { EngineName } from './eventLog/eventLog.js';
import type { NatsConnectOptions } from './eventLog/nats/connectNats.js';
import type { ProcessDefinition } from './process/defineProcess.js';
import type { ProjectionDefinition } from './projection/defineProjection.js';

/**
 * Where the CLI finds NATS: the connection (servers, credentials, TLS) and the names it uses.
 * Each field is overridden by its flag or environment variable (see the README's config table).
 *
 * @example
 * ```ts
 * const nats: NatsConfig = { servers: 'nats://10.0.0.5:4222', prefix: 'shop', stream: 'SHOP' };
 * ```
 */
export type NatsConfig = Pick<NatsConnectOptions, 'servers' | 'user' | 'password' | 'token' | 'nkeySeed' | 'credsFile' | 'tls'> & {
  /** Subject prefix: commands on `<prefix>.cmd.<Aggregate>.<id>`. Default `tributary`. */
  prefix?: string;
  /** JetStream stream of the event log. Default `TRIBUTARY`. */
  stream?: string;
  /** Queue group of the command service. Default `tributary-commands`. */
  queue?: string;
  /** Replicas of the streams `serve` creates (3 on a 3-node cluster), 1 to 5. Default 1. */
  replicas?: number;
  /** Storage of the streams `serve` creates. Default `file`. */
  storage?: 'file' | 'memory';
  /** Age after which JetStream drops commits: milliseconds or a duration (`30d`). Default 0, keep forever. */
  maxAge?: number | string;
  /** How long JetStream remembers a commandId: milliseconds or a duration (`2m`). Default two minutes. */
  duplicateWindow?: number | string;
};

/**
 * A project's `tributary.config.ts` (or `.mjs`/`.js`): the domain the CLI serves and inspects
 * (`serve`, `send`, `query`, `watch`, `rebuild`, `status`, `events`, `tail`), and where its data is.
 *
 * @example
 * ```ts
 * const config: TributaryConfig = { aggregates: [Account], projections: [AccountBalance], dataDir: './data' };
 * ```
 */
export type TributaryConfig = {
  /** The aggregates `serve` hosts. At least one; names are unique. */
  aggregates: readonly AnyAggregateDefinition[];
  /** The projections `serve` runs (with a data directory) and the read verbs know. Names are unique. */
  projections?: readonly ProjectionDefinition[];
  /** The process managers `serve` runs with the write side (`defineProcess`), which `status` shows and `rebuild --dry-run` checks. Names are unique. */
  processes?: readonly ProcessDefinition[];
  /** Where the read verbs look: `embedded` (the data directory) or `nats`. Default: `nats` when servers are given, else `embedded`. */
  engine?: EngineName;
  /** The embedded engine's directory (log in `<dataDir>/log`, views in `<dataDir>/views`); for `serve`, the views' directory. Relative to the config file. */
  dataDir?: string;
  nats?: NatsConfig;
  /** pino level of `serve` (default `info`) and the other verbs (default `warn`, on stderr). */
  logLevel?: string;
};

/**
 * Declares the config of the CLI, typed. It returns its argument: the CLI checks it when it loads
 * the file, naming the file and the field of anything wrong.
 *
 * @example
 * ```ts
 * // tributary.config.ts
 * import { defineConfig } from 'tributary';
 * import { Account } from './src/Account.js';
 * import { AccountBalance } from './src/AccountBalance.js';
 *
 * export default defineConfig({ aggregates: [Account], projections: [AccountBalance], dataDir: './data' });
 * ```
 */
export function defineConfig(config: TributaryConfig): TributaryConfig {
  return config;
}
