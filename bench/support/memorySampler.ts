import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Resident memory at one moment, in bytes, and what makes it up. */
export type MemorySample = {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  /** Memory of C++ objects bound to JS (Buffers, lmdb-js and msgpack buffers included). */
  readonly external: number;
  /** Resident pages of LMDB's memory-mapped data files (`data.mdb`): the OS page cache, not the heap. */
  readonly lmdbMap: number;
};

// The resident size of every mapping of an LMDB data file, from /proc (Linux only; 0 elsewhere).
function lmdbMapResident(): number {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return 0;
  }
  let total = 0;
  let inMap = false;
  for (const line of text.split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inMap = line.endsWith('data.mdb');
    else if (inMap && line.startsWith('Rss:')) total += Number.parseInt(line.slice(4), 10) * 1024;
  }
  return total;
}

function sample(): MemorySample {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, lmdbMap: lmdbMapResident() };
}

/**
 * Samples memory every `intervalMs` while a run goes on, keeping the sample of highest RSS.
 *
 * @example
 * ```ts
 * const sampler = startMemorySampler();
 * await run();
 * const peak = sampler.stop(); // { rss, heapUsed, heapTotal, external, lmdbMap }
 * ```
 */
export function startMemorySampler(intervalMs = 250): { stop(): MemorySample } {
  let peak = sample();
  const timer = setInterval(() => {
    const s = sample();
    if (s.rss > peak.rss) peak = s;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const s = sample();
      return s.rss > peak.rss ? s : peak;
    },
  };
}

/**
 * The JS heap still in use after a full garbage collection: what the process really keeps, as
 * opposed to the garbage a lazy collector lets pile up before a peak.
 *
 * @example
 * ```ts
 * const kept = retainedHeap(); // bytes
 * ```
 */
export function retainedHeap(): number {
  // Exposes gc() to a fresh context without a command-line flag; the bench only.
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}
