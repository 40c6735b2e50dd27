import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const worker = fileURLToPath(new URL('./writeNodeWorker.ts', import.meta.url));
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A write node in its own process (see writeNodeWorker.ts), so that a test can kill -9 it.
 *
 * @example
 * ```ts
 * const node = await startWriteNode({ servers: [cluster.urls[0]], stream: 'S', replicas: 3 });
 * node.kill('SIGKILL');
 * ```
 */
export type WriteNode = { readonly pid: number; kill(signal: NodeJS.Signals): Promise<void> };

/**
 * Starts a write node process and waits until it serves commands.
 *
 * @example
 * ```ts
 * const node = await startWriteNode({ servers: [url], stream: 'SCALE', replicas: 3 });
 * ```
 */
export async function startWriteNode(options: { servers: string[]; stream: string; replicas: number; leaseMs?: number }): Promise<WriteNode> {
  const args = [worker, options.servers.join(','), options.stream, String(options.replicas), String(options.leaseMs ?? 1500)];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`write node did not start within 30 s:\n${out}`)), 30_000);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (out += chunk));
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`write node exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
  return {
    pid: child.pid!,
    kill: (signal) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
