import { linkSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';

/** A held writer lock; `release()` is idempotent. */
export type WriterLock = { release(): void };

const LOCK_FILE = 'writer.lock';

// Directories locked by this process, so a second log instance in the same process is refused too
// (the pid in the file cannot tell it apart from the first).
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// The pid is written to a side file that is then linked into place, so the lock file never
// exists without its pid: a reader can't mistake a half-made lock for a stale one.
function tryCreate(file: string): boolean {
  const side = `${file}.${process.pid}`;
  writeFileSync(side, String(process.pid));
  try {
    linkSync(side, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(side);
  }
}

/**
 * The pid of the live process holding the writer lock of `dir` (this one included), if any.
 *
 * @example
 * ```ts
 * const pid = lockHolder('./data/log');
 * if (pid !== undefined) console.log(`written by process ${pid}`);
 * ```
 */
export function lockHolder(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(dir, LOCK_FILE), 'utf8'), 10);
  } catch {
    return undefined;
  }
  return Number.isSafeInteger(pid) && isAlive(pid) ? pid : undefined;
}

/**
 * Takes the single-writer lock of an embedded log directory: a `writer.lock` file holding the
 * owner's pid. A lock left by a process that died (kill -9, a crash) is taken over. A live owner
 * means a {@link ConfigError} naming it: two processes appending to one embedded log would each
 * trust a stale in-memory view of the heads.
 *
 * @example
 * ```ts
 * const lock = acquireWriterLock('./data/log');
 * try { ... } finally { lock.release(); }
 * ```
 */
export function acquireWriterLock(dir: string): WriterLock {
  const real = realpathSync(dir);
  const file = join(real, LOCK_FILE);
  if (heldHere.has(real)) {
    throw new ConfigError(`the event log at ${dir} is already open for writing in this process; close it first`, { path: dir });
  }
  for (let attempt = 0; !tryCreate(file); attempt++) {
    let owner = NaN;
    try {
      owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
    } catch {
      // Removed between our create and read: simply try again.
    }
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
      throw new ConfigError(
        `the event log at ${dir} is open for writing by process ${owner}; the embedded engine allows one writer process ` +
          '(use the NATS engine for several nodes)',
        { path: dir, pid: owner },
      );
    }
    if (attempt >= 3) throw new ConfigError(`cannot take the writer lock ${file}`, { path: dir });
    try {
      unlinkSync(file);
    } catch {
      // Another process may have removed the stale lock first; the next create decides.
    }
  }
  heldHere.add(real);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      heldHere.delete(real);
      try {
        unlinkSync(file);
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}
