import { reducerCore, xstateCore, type CeilingCore } from './ceilingCore.js';
import { checkCeilingLog, openCeilingLog, runCeiling } from './ceilingLoop.js';
import { runShardedCeiling } from './ceilingSharded.js';
import { tempDir } from './embeddedRuns.js';
import type { Report } from './report.js';
import type { W1, W1Options } from './w1.js';

/** Issue #10's floor for W1 on the embedded engine, and the CPU per command it leaves on one core. */
export const W1_FLOOR = 55_000;
const FLOOR_MICROS = 1e6 / W1_FLOOR;

// One core: a timed run for the budget, then an untimed one (warmer, so the faster) for the rate.
async function oneThread<S>(core: CeilingCore<S>, w1: W1, batch: number) {
  const runs = [];
  for (const timed of [true, false]) {
    const dir = tempDir('trib-ceiling-');
    const log = openCeilingLog(dir.path);
    try {
      const run = await runCeiling(core, w1, log, { batch, timed });
      runs.push({ ...run, ok: run.ok && checkCeilingLog(log, w1) });
    } finally {
      await log.root.close();
      dir.dispose();
    }
  }
  const [timed, untimed] = runs as [(typeof runs)[0], (typeof runs)[0]];
  return { budget: timed.budget, rate: w1.operations.length / untimed.seconds, cpu: untimed.budget.cpu, busy: untimed.budget.total, ok: timed.ok && untimed.ok };
}

/**
 * The design's ceiling beside W1, in the same run: W1's own commands (same seed, accounts and
 * operations) through only the parts the design cannot leave out (`runCeiling`), with the machine
 * (XState, as the host takes it) and with plain reducer functions (a compiled-transition design),
 * on one thread with W1's window as the transaction batch, then sharded over two worker threads
 * writing the same LMDB environment. Adds, per variant, the rate against the 55,000 floor, the
 * main-thread time per command against the 18 µs that floor leaves, the process CPU, the budget
 * column of the timed run, and W1's own rate against the XState ceiling (what the framework's glue
 * costs). Every run is checked against the model and its log against the model's counts.
 *
 * @example
 * ```ts
 * await ceilingRows(report, w1, {}, 2000, commands / fw.seconds);
 * ```
 */
export async function ceilingRows(report: Report, w1: W1, w1Options: W1Options, window: number, w1Rate: number, w1Ok: boolean): Promise<void> {
  const suite = 'embedded';
  const xs = await oneThread(xstateCore(), w1, window);
  const rd = await oneThread(reducerCore(), w1, window);
  for (const [name, c] of [['XState', xs], ['reducer functions', rd]] as const) {
    report.add({ suite, metric: `W1 ceiling, ${name}, 1 thread: commands/s vs the ${W1_FLOOR.toLocaleString('en-US')} floor`, value: c.rate, unit: 'cmd/s', baseline: W1_FLOOR, ok: c.ok });
    report.add({ suite, metric: `W1 ceiling, ${name}, 1 thread: main-thread busy per command vs the floor's`, value: c.busy, unit: 'µs', baseline: FLOOR_MICROS, ok: c.ok });
    report.add({ suite, metric: `W1 ceiling, ${name}, 1 thread: process CPU per command, all threads`, value: c.cpu, unit: 'µs', ok: c.ok });
    report.addBudget({ suite, run: `W1 ceiling, ${name}, 1 thread (timed)`, budget: c.budget });
  }
  report.add({ suite, metric: `W1 vs its ceiling (XState, 1 thread): what the glue leaves`, value: w1Rate, unit: 'cmd/s', baseline: xs.rate, ok: w1Ok && xs.ok });
  report.add({ suite, metric: 'W1 ceiling, reducer vs XState (1 thread)', value: rd.rate, unit: 'cmd/s', baseline: xs.rate, ok: rd.ok && xs.ok });

  const threads = 2;
  for (const [name, core] of [['XState', 'xstate'], ['reducer functions', 'reducer']] as const) {
    const sharded = await runShardedCeiling(w1, w1Options, threads, Math.ceil(window / threads), core);
    const single = core === 'xstate' ? xs : rd;
    const rate = w1.operations.length / sharded.seconds;
    report.add({ suite, metric: `W1 ceiling, ${name}, ${threads} threads on one LMDB env: commands/s vs the floor`, value: rate, unit: 'cmd/s', baseline: W1_FLOOR, ok: sharded.ok });
    report.add({ suite, metric: `W1 ceiling, ${name}, ${threads} threads vs 1 thread`, value: rate, unit: 'cmd/s', baseline: single.rate, ok: sharded.ok && single.ok });
    report.add({ suite, metric: `W1 ceiling, ${name}, ${threads} threads: process CPU per command, all threads`, value: sharded.cpuPerCommand, unit: 'µs', ok: sharded.ok });
  }
}
