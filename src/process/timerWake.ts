import type { TimerQueue } from './timerQueue.js';

// Longest wait for a wall-clock timer before looking again: a clock that jumps (NTP, or a test's
// clock) is noticed within this.
const MAX_WAKE = 1000;

/**
 * The wall-clock side of a process's timers: one `setTimeout` for the earliest queued timer, due
 * `clockSkew` after its time by `clock`, re-armed after every change.
 *
 * @example
 * ```ts
 * const wake = createTimerWake({ timers, clock: Date.now, clockSkew: 0, tick: () => fireDueTimers() });
 * wake.schedule();
 * wake.stop();
 * ```
 */
export type TimerWake = {
  /** Arms for the earliest timer (or, given `delay`, in that many ms); nothing when none is queued. */
  schedule(delay?: number): void;
  stop(): void;
};

/**
 * Creates a {@link TimerWake}.
 *
 * @example
 * ```ts
 * const wake = createTimerWake({ timers, clock, clockSkew, tick });
 * ```
 */
export function createTimerWake(options: { readonly timers: TimerQueue; readonly clock: () => number; readonly clockSkew: number; readonly tick: () => void }): TimerWake {
  let wake: NodeJS.Timeout | undefined;
  const stop = () => {
    if (wake) clearTimeout(wake);
    wake = undefined;
  };
  return {
    schedule(delay) {
      stop();
      const next = options.timers.peek();
      if (next === undefined) return;
      const ms = delay ?? Math.min(MAX_WAKE, Math.max(0, next.dueAt + options.clockSkew - options.clock()));
      wake = setTimeout(() => {
        wake = undefined;
        options.tick();
      }, ms);
    },
    stop,
  };
}
