import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * The message a missing nats-server produces: the tests fail with it, they never skip.
 *
 * @example
 * ```ts
 * await expect(startNatsServer()).rejects.toThrow(NATS_SERVER_MISSING);
 * ```
 */
export const NATS_SERVER_MISSING =
  'nats-server is not on PATH: the NATS tests need a real server. ' +
  'Install it with `apt-get update && apt-get install -y nats-server` (2.9 or later), then run the tests again.';

/**
 * Options of {@link startNatsServer}.
 *
 * @example
 * ```ts
 * const server = await startNatsServer({ auth: { user: 'app', password: 's3cret' } });
 * ```
 */
export type NatsServerOptions = {
  /** Require this user and password from clients (written to a config file passed with `-c`). */
  auth?: { user: string; password: string };
  /** Milliseconds to wait for "Server is ready". Default 15000. */
  readyTimeout?: number;
};

/**
 * A running `nats-server -js` on a loopback port with its own store directory.
 *
 * @example
 * ```ts
 * const server = await startNatsServer();
 * const nc = await connect({ servers: server.url });
 * await server.restart(); // same port, same store dir: streams survive
 * await server.dispose();
 * ```
 */
export type NatsServer = {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); the store dir stays for {@link restart}. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store dir (stopping it first if it runs). */
  restart(): Promise<void>;
  /** Stops it and removes its temp directory. */
  dispose(): Promise<void>;
};

/**
 * Finds `nats-server` on PATH (and in the sbin directories where Debian puts it, which are not on
 * every user's PATH), or throws an Error saying how to install it.
 *
 * @example
 * ```ts
 * const bin = findNatsServer(); // '/usr/sbin/nats-server'
 * ```
 */
export function findNatsServer(
  searchPath: string = process.env.PATH ?? '',
  fallbackDirs: readonly string[] = ['/usr/sbin', '/usr/local/sbin'],
): string {
  for (const dir of [...searchPath.split(delimiter), ...fallbackDirs]) {
    if (!dir) continue;
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(NATS_SERVER_MISSING);
}

/**
 * A TCP port that is free on 127.0.0.1 right now.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const running = new Set<ChildProcess>();
// A test process that exits must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A process killed by a signal (a vitest worker after a timeout) runs no exit handler, so each
 * server also gets a tiny detached watchdog: once this process is gone, it stops the server and
 * removes its temp dir. It exits by itself when the server stops normally.
 *
 * @example
 * ```ts
 * if (proc.pid !== undefined) watchParent(proc.pid, tempDir);
 * ```
 */
export function watchParent(serverPid: number, dir: string): void {
  const script =
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${serverPid} 2>/dev/null; do sleep 0.5; done; ` +
    `if ! kill -0 ${process.pid} 2>/dev/null; then kill ${serverPid} 2>/dev/null; sleep 2; rm -rf '${dir}'; fi`;
  spawn('/bin/sh', ['-c', script], { stdio: 'ignore', detached: true }).unref();
}

/**
 * Starts a real `nats-server -js` on a free loopback port with a temp store dir (`-sd`) and waits
 * until it is ready. Throws (never skips) when nats-server is not installed.
 *
 * @example
 * ```ts
 * const server = await startNatsServer();
 * try { ... } finally { await server.dispose(); }
 * ```
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const bin = findNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'trib-nats-'));
  const storeDir = join(dir, 'store');
  const args = ['-js', '-a', '127.0.0.1', '-sd', storeDir];
  if (options.auth) {
    const conf = join(dir, 'nats.conf');
    writeFileSync(
      conf,
      `authorization {\n  user: ${JSON.stringify(options.auth.user)}\n  password: ${JSON.stringify(options.auth.password)}\n}\n`,
    );
    args.push('-c', conf);
  }
  const readyTimeout = options.readyTimeout ?? 15_000;
  let port = 0;
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(bin, [...args, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    if (proc.pid !== undefined) watchParent(proc.pid, dir);
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`nats-server on port ${port} was not ready within ${readyTimeout} ms:\n${log}`));
      }, readyTimeout);
      proc.stderr?.setEncoding('utf8');
      proc.stderr?.on('data', (chunk: string) => {
        log += chunk;
        if (log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited (${code ?? signal}) before it was ready:\n${log}`));
      });
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    // Keep draining stderr so that a chatty server never blocks on a full pipe.
    proc.stderr?.resume();
    child = proc;
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  };

  // Another process may grab the port between freePort() and the server's bind: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 2) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop,
    async restart() {
      await stop();
      await launch();
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
