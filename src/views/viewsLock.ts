import fs from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';

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
  /** The lock file, `<views>/projector.lock`. */
  readonly file: string;
  /** Removes the lock file. Idempotent. */
  release(): void;
};

const LOCK_FILE = 'projector.lock';
const held = new Set<string>();

type Holder = { host: string; pid: number };

function readHolder(file: string): Holder | undefined {
  try {
    const holder = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof holder.host === 'string' && Number.isSafeInteger(holder.pid) ? (holder as Holder) : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// A holder is live when it is another process of this host that still runs. A lock of this very
// pid that this process does not hold is stale: a restarted container often gets its old pid back.
function isLive(holder: Holder | undefined): boolean {
  if (holder === undefined) return false;
  if (holder.host !== hostname()) return true;
  return holder.pid !== process.pid && alive(holder.pid);
}

/**
 * Claims the views directory `dir` for this process, so that no two processes run the same
 * projections on it (each would apply every event again on top of the other's writes). The claim
 * is the file `<dir>/projector.lock` holding the host name and pid; a claim whose process is gone
 * is taken over. Throws `ConfigError` naming the live holder. A holder on another host cannot be
 * checked: the error says to remove the file if that process is gone.
 *
 * @example
 * ```ts
 * const lock = lockViews(path.join(dataDir, 'views'));
 * const projections = await createProjections({ log, path: path.join(dataDir, 'views'), projections: exampleProjections });
 * ```
 */
export function lockViews(dir: string): ViewsLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(path.resolve(dir), LOCK_FILE);
  const me: Holder = { host: hostname(), pid: process.pid };
  if (held.has(file)) throw new ConfigError(`the views in ${dir} are already open in this process`, { views: dir });
  // Written aside, then linked into place: the lock file appears with its content, atomically.
  const aside = `${file}.${process.pid}.${Date.now()}`;
  fs.writeFileSync(aside, JSON.stringify(me));
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(aside, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(file);
      if (isLive(holder) || attempt >= 2) {
        throw new ConfigError(
          `the views in ${dir} are being projected by process ${holder?.pid ?? '?'} on ${holder?.host ?? '?'}: stop it first ` +
            `(or, if that process is gone, remove ${file})`,
          { views: dir, pid: holder?.pid, host: holder?.host },
        );
      }
      fs.rmSync(file, { force: true });
    }
  } finally {
    fs.rmSync(aside, { force: true });
  }
  held.add(file);
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      held.delete(file);
      const holder = readHolder(file);
      if (holder?.host === me.host && holder.pid === me.pid) fs.rmSync(file, { force: true });
    },
  };
}

/**
 * The live process projecting the views directory `dir`, if any (see {@link lockViews}).
 *
 * @example
 * ```ts
 * const holder = viewsHolder('./data/views');
 * if (holder) console.log(`projected by process ${holder.pid} on ${holder.host}`);
 * ```
 */
export function viewsHolder(dir: string): { readonly host: string; readonly pid: number } | undefined {
  const file = path.join(path.resolve(dir), LOCK_FILE);
  if (held.has(file)) return { host: hostname(), pid: process.pid };
  const holder = readHolder(file);
  return isLive(holder) ? holder : undefined;
}
