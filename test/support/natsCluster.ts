import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { findNatsServer, freePort, watchParent } from './natsServer.js';

/**
 * One server of a {@link NatsCluster}.
 *
 * @example
 * ```ts
 * const [n1] = cluster.nodes;
 * await n1.kill(); // SIGKILL, store dir kept
 * await n1.start(); // rejoins with its store
 * ```
 */
export type ClusterNode = {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** SIGKILL (a crash); the store dir stays, so {@link start} rejoins with its data. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and store dir (no-op while it runs). */
  start(): Promise<void>;
  readonly running: boolean;
};

/**
 * A 3-node (by default) nats-server cluster with JetStream on loopback: each server has its own
 * name, client and route ports and store dir; every server lists every route.
 *
 * @example
 * ```ts
 * const cluster = await startNatsCluster();
 * const nc = await connect({ servers: cluster.urls });
 * await jsm.streams.add({ name: 'S', subjects: ['s.>'], num_replicas: 3 });
 * await cluster.dispose();
 * ```
 */
export type NatsCluster = {
  readonly nodes: readonly ClusterNode[];
  /** Every server's client URL. */
  readonly urls: string[];
  /** Stops every server and removes the temp dir. */
  dispose(): Promise<void>;
};

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function waitReady(proc: ChildProcess, name: string, readyTimeout: number): Promise<void> {
  let log = '';
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`nats-server ${name} was not ready within ${readyTimeout} ms:\n${log}`));
    }, readyTimeout);
    proc.stderr?.setEncoding('utf8');
    const onData = (chunk: string) => {
      log += chunk;
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        proc.stderr?.off('data', onData);
        // Keep draining stderr so that a chatty server never blocks on a full pipe.
        proc.stderr?.resume();
        resolve();
      }
    };
    proc.stderr?.on('data', onData);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`nats-server ${name} exited (${code ?? signal}) before it was ready:\n${log}`));
    });
  });
}

/**
 * Waits until JetStream answers on `url` with a meta leader elected (a fresh cluster answers
 * "JetStream system temporarily unavailable" for a few seconds).
 *
 * @example
 * ```ts
 * await waitForJetStream(cluster.urls[0], 20_000);
 * ```
 */
export async function waitForJetStream(url: string | string[], timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  const nc = await connect({ servers: url, maxReconnectAttempts: -1 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000, checkAPI: false });
    for (let lastError = ''; ; ) {
      try {
        const info = await jsm.getAccountInfo();
        if (info) return;
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`JetStream of the cluster was not available within ${timeout} ms: ${lastError}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await nc.close();
  }
}

/**
 * Waits until a stream with `replicas` replicas can be placed: a meta leader answers before every
 * peer has joined it, and a stream made then fails with "no suitable peers for placement".
 *
 * @example
 * ```ts
 * await waitForPeers(cluster.urls, 3, 20_000);
 * ```
 */
export async function waitForPeers(url: string | string[], replicas: number, timeout: number): Promise<void> {
  if (replicas <= 1) return;
  const deadline = Date.now() + timeout;
  const nc = await connect({ servers: url, maxReconnectAttempts: -1 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5000, checkAPI: false });
    const name = `PEERS_${process.pid}`;
    for (let lastError = ''; ; ) {
      try {
        await jsm.streams.add({ name, subjects: [`peers-${process.pid}.>`], num_replicas: replicas });
        await jsm.streams.delete(name);
        return;
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`the cluster could not place an R${replicas} stream within ${timeout} ms: ${lastError}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await nc.close();
  }
}

/**
 * Starts `size` real `nats-server` processes as one JetStream cluster on loopback (free ports, a
 * temp dir with one store dir per server) and waits until JetStream has a meta leader. Throws
 * (never skips) when nats-server is not installed.
 *
 * @example
 * ```ts
 * const cluster = await startNatsCluster({ size: 3 });
 * try { ... } finally { await cluster.dispose(); }
 * ```
 */
export async function startNatsCluster(options: { size?: number; readyTimeout?: number } = {}): Promise<NatsCluster> {
  const bin = findNatsServer();
  const size = options.size ?? 3;
  const readyTimeout = options.readyTimeout ?? 20_000;
  const dir = mkdtempSync(join(tmpdir(), 'trib-cluster-'));
  const clusterName = `C${process.pid}`;
  const specs: { name: string; port: number; routePort: number; conf: string }[] = [];
  for (let i = 1; i <= size; i++) specs.push({ name: `n${i}`, port: await freePort(), routePort: await freePort(), conf: '' });
  const routes = specs.map((s) => `nats-route://127.0.0.1:${s.routePort}`).join(', ');
  for (const s of specs) {
    const storeDir = join(dir, s.name);
    mkdirSync(storeDir);
    s.conf = join(dir, `${s.name}.conf`);
    writeFileSync(
      s.conf,
      [
        `server_name: ${s.name}`,
        `listen: 127.0.0.1:${s.port}`,
        `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
        `cluster { name: ${clusterName}, listen: 127.0.0.1:${s.routePort}, routes: [${routes}] }`,
        '',
      ].join('\n'),
    );
  }

  const nodes: ClusterNode[] = specs.map((s) => {
    let child: ChildProcess | undefined;
    const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
    return {
      name: s.name,
      url: `nats://127.0.0.1:${s.port}`,
      port: s.port,
      get running() {
        return alive();
      },
      async start() {
        if (alive()) return;
        const proc = spawn(bin, ['-c', s.conf], { stdio: ['ignore', 'ignore', 'pipe'] });
        running.add(proc);
        proc.once('exit', () => running.delete(proc));
        if (proc.pid !== undefined) watchParent(proc.pid, dir);
        await waitReady(proc, s.name, readyTimeout);
        child = proc;
      },
      async kill() {
        const proc = child;
        child = undefined;
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
        await new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.kill('SIGKILL');
        });
      },
    };
  });

  const dispose = async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await waitForJetStream(nodes.map((n) => n.url), readyTimeout);
    await waitForPeers(nodes.map((n) => n.url), size, readyTimeout);
  } catch (err) {
    await dispose();
    throw err;
  }
  return { nodes, urls: nodes.map((n) => n.url), dispose };
}
