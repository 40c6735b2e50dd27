import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { tempDir } from './embeddedRuns.js';
import { checkCeilingLog, openCeilingLog, type CeilingRun } from './ceilingLoop.js';
import type { W1, W1Options } from './w1.js';

/**
 * What one thread of {@link runShardedCeiling} is given.
 *
 * @example
 * ```ts
 * const data: CeilingThreadData = { path, index: 0, count: 2, w1: {}, batch: 1000, core: 'xstate', positions: new SharedArrayBuffer(4) };
 * ```
 */
export type CeilingThreadData = {
  readonly path: string;
  readonly index: number;
  readonly count: number;
  readonly w1: W1Options;
  readonly batch: number;
  readonly core: 'xstate' | 'reducer';
  /** One Int32: the last position handed out, shared by every thread. */
  readonly positions: SharedArrayBuffer;
};

// A worker does not inherit the bench's TypeScript loader (tsx): it registers it, then loads the thread.
const BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(
  new URL('./ceilingWorker.ts', import.meta.url).href,
)}); })`;

type ThreadMessage = { kind: 'ready' } | { kind: 'done'; run: CeilingRun };

/**
 * The ceiling loop sharded over `threads` worker threads by account (`acc-i` to thread
 * `i % threads`), each with its own aggregates and `batch` (its share of the window), all writing
 * the same LMDB environment; LMDB serialises their write transactions and a shared counter,
 * taken inside them, keeps positions global and gapless. The clock runs from a common start line
 * (every thread has opened its accounts) until the last thread is done; the log is then checked
 * as a whole, and each thread checks its accounts against the model.
 *
 * @example
 * ```ts
 * const sharded = await runShardedCeiling(w1, {}, 2, 1000, 'xstate');
 * console.log(w1.operations.length / sharded.seconds, sharded.ok);
 * ```
 */
export async function runShardedCeiling(w1: W1, w1Options: W1Options, threads: number, batch: number, core: CeilingThreadData['core']) {
  const dir = tempDir('trib-ceiling-mt-');
  const positions = new SharedArrayBuffer(4);
  const workers = Array.from({ length: threads }, (_, index) => {
    const workerData: CeilingThreadData = { path: dir.path, index, count: threads, w1: w1Options, batch, core, positions };
    return new Worker(BOOT, { eval: true, workerData });
  });
  const next = (w: Worker) => once(w, 'message') as Promise<[ThreadMessage]>;
  try {
    await Promise.all(workers.map(next));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const finished = workers.map(next);
    for (const w of workers) w.postMessage('go');
    const runs = (await Promise.all(finished)).map(([m]) => (m.kind === 'done' ? m.run : undefined));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const exited = workers.map((w) => once(w, 'exit'));
    for (const w of workers) w.postMessage('close');
    await Promise.all(exited);
    const log = openCeilingLog(dir.path);
    const stored = checkCeilingLog(log, w1);
    await log.root.close();
    const ok = stored && runs.every((r) => r?.ok === true);
    return { seconds, ok, cpuPerCommand: (cpu.user + cpu.system) / w1.operations.length, runs };
  } finally {
    for (const w of workers) void w.terminate();
    dir.dispose();
  }
}
