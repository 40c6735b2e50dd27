import { TimeoutError } from '../errors.js';

/**
 * The pending `waitFor` calls of one projection. The runner calls `advance` after each
 * committed batch and `rejectAll` when it fails or closes.
 *
 * @example
 * ```ts
 * const waiters = createPositionWaiters('AccountBalance', () => processed);
 * await waiters.wait(42, 5000); // resolved by waiters.advance(42) or later
 * ```
 */
export type PositionWaiters = {
  /** Resolves once `advance` reaches `position`; rejects with `TimeoutError` after `timeout` ms. */
  wait(position: number, timeout: number): Promise<void>;
  advance(reached: number): void;
  rejectAll(error: Error): void;
};

type Waiter = {
  position: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
};

/**
 * Creates the waiters of projection `projection`; `reached` reads its current position (for the
 * timeout message).
 *
 * @example
 * ```ts
 * const waiters = createPositionWaiters(definition.name, () => processed);
 * ```
 */
export function createPositionWaiters(projection: string, reached: () => number): PositionWaiters {
  let waiters: Waiter[] = [];
  let lowest = Infinity;

  const remove = (waiter: Waiter) => {
    waiters = waiters.filter((w) => w !== waiter);
    lowest = waiters.reduce((min, w) => Math.min(min, w.position), Infinity);
  };

  return {
    wait(position, timeout) {
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          position,
          resolve,
          reject,
          timer: setTimeout(() => {
            remove(waiter);
            reject(
              new TimeoutError(
                `projection ${projection} did not reach position ${position} within ${timeout} ms (it is at position ${reached()})`,
                { projection, position, reached: reached(), timeout },
              ),
            );
          }, timeout),
        };
        waiters.push(waiter);
        lowest = Math.min(lowest, position);
      });
    },
    advance(position) {
      if (position < lowest) return;
      const still: Waiter[] = [];
      lowest = Infinity;
      for (const w of waiters) {
        if (w.position <= position) {
          clearTimeout(w.timer);
          w.resolve();
        } else {
          still.push(w);
          lowest = Math.min(lowest, w.position);
        }
      }
      waiters = still;
    },
    rejectAll(error) {
      const all = waiters;
      waiters = [];
      lowest = Infinity;
      for (const w of all) {
        clearTimeout(w.timer);
        w.reject(error);
      }
    },
  };
}
