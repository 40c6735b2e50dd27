import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { createApp, type App } from '../../src/createApp.js';
import { parseListenAddress } from '../../src/observability/listenAddress.js';
import { startOpsServer, type OpsServer } from '../../src/observability/opsServer.js';
import { tempDir } from '../projection/support.js';

let dir: ReturnType<typeof tempDir>;
let app: App;
let ops: OpsServer;

beforeAll(async () => {
  dir = tempDir();
  app = await createApp({ engine: 'embedded', dataDir: dir.dir, aggregates: [Account] });
  ops = await startOpsServer({ app, listen: ':0' });
});

afterAll(async () => {
  await ops?.close();
  await app?.close();
  dir?.cleanup();
});

// Sends raw bytes and returns whatever the server answers before closing.
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(ops.address.port, ops.address.host);
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(bytes);
    setTimeout(() => socket.end(), 300);
  });
}

describe('the operations server on bad input', () => {
  it('parses listen addresses, loopback unless a host is given, and refuses bad ones clearly', () => {
    expect(parseListenAddress(':8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListenAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    for (const bad of ['', 'localhost', 'host:port', ':99999', '1.2.3.4:-1', 'a b:80', undefined]) {
      expect(() => parseListenAddress(bad), String(bad)).toThrow(expect.objectContaining({ code: 'config', message: expect.stringMatching(/--http/) }));
    }
  });

  it('listens on loopback by default', () => {
    expect(ops.address.host).toBe('127.0.0.1');
    expect(ops.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a port in use with a ConfigError that says so', async () => {
    await expect(startOpsServer({ app, listen: `127.0.0.1:${ops.address.port}` })).rejects.toThrow(
      expect.objectContaining({ code: 'config', message: expect.stringMatching(/port is in use/) }),
    );
  });

  it('answers 404 with a JSON error for unknown paths and 405 for writes', async () => {
    const res = await fetch(`${ops.url}/nope?x=1`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.stringMatching(/no such path "\/nope"/) } });
    const post = await fetch(`${ops.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('survives malformed requests: a 400 for each, and the next request is served', async () => {
    expect(await raw('GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nX: ${'b'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 4\d\d/);
    expect(await raw('GET http://[bad HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 (400|404)/);
    const res = await fetch(`${ops.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('serves the dashboard and its assets', async () => {
    const page = await fetch(`${ops.url}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<script src="\/dashboard.js">/);
    for (const asset of ['/dashboard.js', '/uplot.js', '/uplot.css']) expect((await fetch(`${ops.url}${asset}`)).status, asset).toBe(200);
  });
});
