import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { OpsSource } from './opsSource.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { ReadinessBounds } from './health.js';
import { parseListenAddress, type ListenAddress } from './listenAddress.js';
import { createLiveFeed } from './liveFeed.js';

/**
 * Options of {@link startOpsServer}.
 *
 * @example
 * ```ts
 * const options: OpsServerOptions = { app, listen: '127.0.0.1:9464', bounds: { maxLagSeconds: 30 } };
 * ```
 */
export type OpsServerOptions = {
  readonly app: OpsSource;
  /** `host:port`, `:port` (loopback) or a parsed address. */
  readonly listen: string | ListenAddress;
  /** Lag bounds past which `/readyz` answers 503. */
  readonly bounds?: ReadinessBounds;
  readonly logger?: Logger;
  /** Milliseconds between the dashboard's live samples. Default 1000. */
  readonly sampleIntervalMs?: number;
};

/**
 * The operations HTTP server of an app: `/metrics`, `/healthz`, `/readyz`, the dashboard at `/`
 * and its live feed at `/events`.
 *
 * @example
 * ```ts
 * const ops = await startOpsServer({ app, listen: ':9464' });
 * console.log(ops.url); // http://127.0.0.1:9464
 * await ops.close();
 * ```
 */
export type OpsServer = {
  readonly url: string;
  readonly address: ListenAddress;
  close(): Promise<void>;
};

const here = new URL('.', import.meta.url);
const requireHere = createRequire(import.meta.url);
// Read once at start: the dashboard is a static page, its data comes over /events.
const assets = (() => {
  const uplot = requireHere.resolve('uplot');
  const dist = uplot.slice(0, uplot.lastIndexOf('/'));
  return new Map<string, { type: string; body: Buffer }>([
    ['/', { type: 'text/html; charset=utf-8', body: readFileSync(new URL('dashboard/index.html', here)) }],
    ['/dashboard.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('dashboard/dashboard.js', here)) }],
    ['/uplot.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(`${dist}/uPlot.iife.min.js`) }],
    ['/uplot.css', { type: 'text/css; charset=utf-8', body: readFileSync(`${dist}/uPlot.min.css`) }],
  ]);
})();

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse, path: string): void {
  json(res, 404, {
    error: { code: 'not_found', message: `no such path ${JSON.stringify(path)}; try /metrics, /healthz, /readyz or / (the dashboard)` },
  });
}

/**
 * Starts the operations server. Rejects with `ConfigError` for a bad address or a port in use.
 * A malformed request gets a 400 and never stops the server; handler errors answer 500.
 *
 * @example
 * ```ts
 * const app = await createApp({ engine: 'embedded', dataDir: './data', aggregates: [Account] });
 * const ops = await startOpsServer({ app, listen: '127.0.0.1:0' });
 * const text = await (await fetch(`${ops.url}/metrics`)).text();
 * ```
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { app, bounds, logger } = options;
  const wanted = typeof options.listen === 'string' ? parseListenAddress(options.listen) : options.listen;
  const feed = createLiveFeed(app, { intervalMs: options.sampleIntervalMs, bounds });

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      json(res, 400, { error: { code: 'invalid', message: 'malformed request target' } });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      json(res, 405, { error: { code: 'invalid', message: `${req.method} is not allowed; the operations endpoints are read-only (GET)` } });
      return;
    }
    switch (path) {
      case '/metrics': {
        if (app.metrics === undefined) return notFound(res, path);
        const text = await app.metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': app.metrics.registry.contentType });
        res.end(text);
        return;
      }
      case '/healthz':
        return json(res, 200, { status: 'ok' });
      case '/readyz': {
        const report = await app.health(bounds);
        return json(res, report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not ready', ...report });
      }
      case '/events':
        return feed.add(res);
      default: {
        const asset = assets.get(path);
        if (asset === undefined) return notFound(res, path);
        res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length });
        res.end(req.method === 'HEAD' ? undefined : asset.body);
      }
    }
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      logger?.error({ err, url: req.url }, 'operations endpoint failed');
      if (!res.headersSent) json(res, 500, { error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } });
      else res.end();
    });
  });
  // A malformed request (bad request line, oversized headers) gets a 400 on its own socket only.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      const at = `${wanted.host}:${wanted.port}`;
      if (err.code === 'EADDRINUSE') reject(new ConfigError(`--http ${at}: the port is in use; pick another port or stop what listens there`, { host: wanted.host, port: wanted.port }));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EACCES') {
        reject(new ConfigError(`--http ${at}: cannot listen there (${err.code}); give an address of this machine and a port you may use`, { host: wanted.host, port: wanted.port }));
      } else reject(err);
    };
    server.once('error', failed);
    server.listen(wanted.port, wanted.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  server.on('error', (err) => logger?.error({ err }, 'operations server error'));
  const bound = server.address() as AddressInfo;
  const address = { host: wanted.host, port: bound.port };
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        feed.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
