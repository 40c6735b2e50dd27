import { ConfigError } from '../errors.js';

/**
 * Where an HTTP server listens.
 *
 * @example
 * ```ts
 * const address: ListenAddress = { host: '127.0.0.1', port: 9464 };
 * ```
 */
export type ListenAddress = { readonly host: string; readonly port: number };

/** The host when an address gives only a port: operations endpoints stay local unless asked. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';

/**
 * Parses `host:port`, `:port`, `port` or `[ipv6]:port`. Without a host it listens on loopback.
 * Port 0 picks a free port. Anything else is a `ConfigError` saying what is expected.
 *
 * @example
 * ```ts
 * parseListenAddress(':8080'); // { host: '127.0.0.1', port: 8080 }
 * parseListenAddress('0.0.0.0:9464'); // { host: '0.0.0.0', port: 9464 }
 * ```
 */
export function parseListenAddress(value: unknown): ListenAddress {
  const expected = 'expected <host:port>, :<port> or [<ipv6>]:<port>, e.g. 127.0.0.1:9464';
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`--http: ${expected}`, { value: String(value) });
  const text = value.trim();
  const match = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([A-Za-z0-9.-]*):(\d{1,5})$/.exec(text) ?? /^()(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new ConfigError(`--http ${JSON.stringify(value)} is not a listen address: ${expected}`, { value });
  return { host: match[1] || DEFAULT_HTTP_HOST, port };
}
