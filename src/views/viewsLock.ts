import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { acquireWriterLock, lockHolder } from '../eventLog/lmdb/writerLock.js';

/**
 * The claim of one process to run the projections of a views directory.
 *
 * @example
 * ```ts
 * const lock = lockViews('./data/views');
 * try { ... } finally { lock.release(); }
 * ```
 */
export type ViewsLock = {
  /** Removes the claim. Idempotent. */
  release(): void;
};


/**
 * Claims the views directory `dir` for this process, so that no two processes run the same
 * projections on it (each would apply every event again on top of the other's writes). It is the
 * embedded log's writer lock (`<dir>/writer.lock` holding the pid; the lock of a process that is
 * gone is taken over), with errors that speak of views: `ConfigError` naming the live holder.
 *
 * @example
 * ```ts
 * const lock = lockViews(path.join(dataDir, 'views'));
 * const projections = await createProjections({ log, path: path.join(dataDir, 'views'), projections: exampleProjections });
 * ```
 */
export function lockViews(dir: string): ViewsLock {
  fs.mkdirSync(dir, { recursive: true });
  try {
    return acquireWriterLock(dir);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const pid = err.details?.pid;
    throw new ConfigError(
      typeof pid === 'number'
        ? `the views in ${dir} are being projected by process ${pid}: stop it first (one process runs the projections of a views directory)`
        : `the views in ${dir} are already open in this process`,
      { views: dir, ...(typeof pid === 'number' ? { pid } : {}) },
      { cause: err },
    );
  }
}

/**
 * The pid of the live process projecting the views directory `dir` (this one included), if any.
 *
 * @example
 * ```ts
 * const pid = viewsHolder('./data/views');
 * if (pid !== undefined) console.log(`projected by process ${pid}`);
 * ```
 */
export function viewsHolder(dir: string): number | undefined {
  return lockHolder(dir);
}
