/**
 * A timer as the queue orders it: by due time, then instance, then timer id, so that timers due
 * at the same moment always fire in the same order.
 *
 * @example
 * ```ts
 * const t: QueuedTimer = { dueAt: 1_700_000_060_000, instance: 'o-1', id: 'xstate.after.shipWithin.Fulfilment.paid' };
 * ```
 */
export type QueuedTimer = { readonly dueAt: number; readonly instance: string; readonly id: string };

/**
 * A min-heap of the pending timers of one process. Entries are never removed in place: a
 * cancelled or re-set timer stays until it surfaces, and the caller checks it against the
 * instance's record before firing it.
 *
 * @example
 * ```ts
 * const queue = createTimerQueue();
 * queue.push({ dueAt: 5, instance: 'o-1', id: 't' });
 * while (queue.peek() && queue.peek()!.dueAt <= now) fire(queue.pop()!);
 * ```
 */
export type TimerQueue = {
  push(timer: QueuedTimer): void;
  peek(): QueuedTimer | undefined;
  pop(): QueuedTimer | undefined;
  readonly size: number;
};

function before(a: QueuedTimer, b: QueuedTimer): boolean {
  if (a.dueAt !== b.dueAt) return a.dueAt < b.dueAt;
  if (a.instance !== b.instance) return a.instance < b.instance;
  return a.id < b.id;
}

/**
 * Creates an empty {@link TimerQueue}.
 *
 * @example
 * ```ts
 * const queue = createTimerQueue();
 * ```
 */
export function createTimerQueue(): TimerQueue {
  const heap: QueuedTimer[] = [];
  return {
    push(timer) {
      heap.push(timer);
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!before(heap[i]!, heap[parent]!)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    },
    peek: () => heap[0],
    pop() {
      const top = heap[0];
      const last = heap.pop();
      if (heap.length > 0 && last !== undefined) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
          if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m]!, heap[i]!];
          i = m;
        }
      }
      return top;
    },
    get size() {
      return heap.length;
    },
  };
}
