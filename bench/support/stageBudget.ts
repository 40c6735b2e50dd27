import { performance } from 'node:perf_hooks';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import type { StageProbe, WriteStage } from '../../src/logging/stageProbe.js';

/** The stages in the order the budget table lists them. */
export const STAGES: readonly WriteStage[] = ['validate', 'route', 'decide', 'encode', 'append', 'evolve', 'reply'];

/** What one measured stretch of work cost: main-thread CPU per stage and heap bytes allocated. */
export type Budget = {
  /** Microseconds of self time per command, by stage (nested stages are not counted twice). */
  readonly stages: Readonly<Record<WriteStage, number>>;
  /**
   * Main-thread busy time per command (event-loop utilisation), in microseconds. Like the stage
   * timings it is wall time: on a machine shared with other work it includes time the thread
   * was runnable but descheduled, so compare it with `cpu`.
   */
  readonly total: number;
  /** CPU time of the whole process per command (every thread: LMDB's writer, GC helpers), in microseconds. */
  readonly cpu: number;
  /** `total` minus the stages: promises and microtasks, GC, LMDB's batch commit, the driver. */
  readonly other: number;
  /** Garbage collection per command, in microseconds: already inside the stages and `other`. */
  readonly gc: number;
  /** Heap bytes allocated per command, from the GC profiler's before/after heap sizes. */
  readonly bytes: number;
};

/**
 * A {@link StageProbe} that sums each stage's self time (the time inside its wrapper, minus the
 * time of wrapped stages called from it), with a `measure` that turns a stretch of work into a
 * {@link Budget}. Wrappers use `apply(this, arguments)`, which allocates nothing, so the bytes
 * per command are the write path's own.
 *
 * @example
 * ```ts
 * const budget = createStageBudget();
 * const log = await createLmdbEventLog({ path, probe: budget.probe });
 * const b = await budget.measure(100_000, () => runWorkload());
 * ```
 */
export function createStageBudget() {
  const totals = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<WriteStage, number>;
  let child = 0;
  const probe: StageProbe = {
    wrap<F extends (...args: never[]) => unknown>(stage: WriteStage, fn: F): F {
      return function timed(this: unknown) {
        const t0 = performance.now();
        const outer = child;
        child = 0;
        try {
          // eslint-disable-next-line prefer-rest-params
          return (fn as unknown as (...a: unknown[]) => unknown).apply(this, arguments as unknown as unknown[]);
        } finally {
          const elapsed = performance.now() - t0;
          totals[stage] += elapsed - child;
          child = outer + elapsed;
        }
      } as unknown as F;
    },
  };

  const measure = async (commands: number, work: () => Promise<void>): Promise<Budget> => {
    for (const s of STAGES) totals[s] = 0;
    const profiler = new GCProfiler();
    const heapBefore = getHeapStatistics().used_heap_size;
    profiler.start();
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    await work();
    const cpuUsed = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    const heapAfter = getHeapStatistics().used_heap_size;
    const gcs = profiler.stop()?.statistics ?? [];
    let allocated = 0;
    let gcMicros = 0;
    let last = heapBefore;
    for (const gc of gcs) {
      allocated += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - last);
      last = gc.afterGC.heapStatistics.usedHeapSize;
      gcMicros += gc.cost;
    }
    allocated += Math.max(0, heapAfter - last);
    const us = (ms: number) => (ms * 1000) / commands;
    const stages = Object.fromEntries(STAGES.map((s) => [s, us(totals[s])])) as Record<WriteStage, number>;
    const total = us(elu.active);
    const other = total - STAGES.reduce((sum, s) => sum + stages[s], 0);
    return { stages, total, other, cpu: (cpuUsed.user + cpuUsed.system) / commands, gc: gcMicros / commands, bytes: allocated / commands };
  };

  return { probe, measure };
}

/**
 * Main-thread busy time and heap bytes allocated per unit of work, for a run without a probe
 * (the raw baselines and the uninstrumented framework run).
 *
 * @example
 * ```ts
 * const { total, bytes } = await measureCost(100_000, () => run());
 * ```
 */
export async function measureCost(units: number, work: () => Promise<void>): Promise<Omit<Budget, 'stages' | 'other'>> {
  const { total, cpu, gc, bytes } = await createStageBudget().measure(units, work);
  return { total, cpu, gc, bytes };
}
