import { ConfigError } from '../../errors.js';
import type { TributaryConfig } from '../../defineConfig.js';
import { parseDuration } from '../streamOptions.js';

const ENGINES = ['embedded', 'nats'] as const;
const NATS_STRINGS = ['prefix', 'stream', 'queue', 'user', 'password', 'token', 'nkeySeed', 'credsFile'] as const;
const CONFIG_FIELDS = ['aggregates', 'projections', 'processes', 'engine', 'dataDir', 'nats', 'logLevel'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(file: string, field: string, problem: string): never {
  throw new ConfigError(`${file}: \`${field}\` ${problem}`, { file, field });
}

const MADE_BY: Record<string, string> = {
  aggregate: 'an aggregate (made by defineAggregate)',
  projection: 'a projection (made by defineProjection)',
  process: 'a process manager (made by defineProcess)',
};

// Definitions are checked by shape, not identity: the config may load its own copy of tributary.
function checkDefinitions(file: string, field: string, value: unknown, looksRight: (d: Record<string, unknown>) => boolean, what: string): void {
  if (!Array.isArray(value)) fail(file, field, `must be an array of ${what}s, got ${JSON.stringify(value) ?? typeof value}`);
  const seen = new Map<string, number>();
  value.forEach((d: unknown, i) => {
    if (!isObject(d) || typeof d.name !== 'string' || !looksRight(d)) {
      fail(file, `${field}[${i}]`, `is not ${MADE_BY[what]}`);
    }
    const first = seen.get(d.name as string);
    if (first !== undefined) fail(file, `${field}[${i}]`, `repeats the ${what} name ${JSON.stringify(d.name)} of ${field}[${first}]`);
    seen.set(d.name as string, i);
  });
}

function checkStreamSettings(file: string, nats: Record<string, unknown>): void {
  const { replicas, storage } = nats;
  if (replicas !== undefined && !(Number.isSafeInteger(replicas) && (replicas as number) >= 1 && (replicas as number) <= 5)) {
    fail(file, 'nats.replicas', `must be an integer from 1 to 5, got ${JSON.stringify(replicas)}`);
  }
  if (storage !== undefined && storage !== 'file' && storage !== 'memory') fail(file, 'nats.storage', `is ${JSON.stringify(storage)}: use 'file' or 'memory'`);
  for (const key of ['maxAge', 'duplicateWindow'] as const) {
    const v = nats[key];
    if (v === undefined || (Number.isSafeInteger(v) && (v as number) >= 0)) continue;
    if (typeof v === 'string') {
      try {
        parseDuration(v);
        continue;
      } catch {
        // reported below
      }
    }
    fail(file, `nats.${key}`, `must be milliseconds or a duration such as 90s, 2m, 12h or 7d, got ${JSON.stringify(v)}`);
  }
}

/**
 * Checks what a config file exported, throwing a `ConfigError` whose message starts with the file
 * and names the field (also in `details.file` and `details.field`).
 *
 * @example
 * ```ts
 * const config = validateConfig(module.default, '/app/tributary.config.ts');
 * ```
 */
export function validateConfig(value: unknown, file: string): TributaryConfig {
  if (!isObject(value)) fail(file, 'default', 'export must be a config object: `export default defineConfig({ aggregates: [...] })`');
  for (const key of Object.keys(value)) {
    if (!CONFIG_FIELDS.includes(key)) fail(file, key, `is not a config field; the fields are ${CONFIG_FIELDS.join(', ')}`);
  }
  if (value.aggregates === undefined) fail(file, 'aggregates', 'is missing: list the aggregates to serve, e.g. `aggregates: [Account]`');
  checkDefinitions(file, 'aggregates', value.aggregates, (d) => typeof d.machine === 'object' && d.machine !== null, 'aggregate');
  if ((value.aggregates as unknown[]).length === 0) fail(file, 'aggregates', 'is empty: list at least one aggregate, e.g. `aggregates: [Account]`');
  if (value.projections !== undefined) {
    checkDefinitions(file, 'projections', value.projections, (d) => d.handlers instanceof Map && typeof d.consumes === 'function', 'projection');
  }
  if (value.processes !== undefined) {
    checkDefinitions(file, 'processes', value.processes, (d) => typeof d.correlate === 'function' && typeof d.listensTo === 'function', 'process');
  }
  if (value.engine !== undefined && !ENGINES.includes(value.engine as (typeof ENGINES)[number])) {
    fail(file, 'engine', `is ${JSON.stringify(value.engine)}: use 'embedded' or 'nats'`);
  }
  for (const key of ['dataDir', 'logLevel'] as const) {
    if (value[key] !== undefined && (typeof value[key] !== 'string' || value[key] === '')) fail(file, key, 'must be a non-empty string');
  }
  if (value.nats !== undefined) {
    const nats = value.nats;
    if (!isObject(nats)) fail(file, 'nats', 'must be an object, e.g. `nats: { servers: "nats://127.0.0.1:4222" }`');
    const servers = nats.servers;
    if (servers !== undefined && typeof servers !== 'string' && !(Array.isArray(servers) && servers.every((s) => typeof s === 'string'))) {
      fail(file, 'nats.servers', 'must be a URL or an array of URLs');
    }
    for (const key of NATS_STRINGS) {
      if (nats[key] !== undefined && typeof nats[key] !== 'string') fail(file, `nats.${key}`, 'must be a string');
    }
    if (nats.tls !== undefined && !isObject(nats.tls)) fail(file, 'nats.tls', 'must be an object `{ caFile?, certFile?, keyFile? }`');
    checkStreamSettings(file, nats);
  }
  return value as TributaryConfig;
}
