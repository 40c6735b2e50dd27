/**
 * Runs `task` over `items` with at most `window` in flight, starting them strictly in order, and
 * returns each item's latency in milliseconds. Starting in order is what keeps one aggregate's
 * commands in workload order: dispatch queues a command in its aggregate's mailbox as it is sent.
 * Once `signal` aborts, nothing new starts; the tasks in flight still finish.
 *
 * @example
 * ```ts
 * const latencies = await runWindowed(commands, 256, (c) => app.send(c), (result, i) => tally(i, result));
 * ```
 */
export async function runWindowed<T, R>(
  items: readonly T[],
  window: number,
  task: (item: T, index: number) => Promise<R>,
  onResult?: (result: R, index: number) => void,
  signal?: AbortSignal,
): Promise<Float64Array> {
  const latencies = new Float64Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && signal?.aborted !== true) {
      const i = next++;
      const started = performance.now();
      const result = await task(items[i]!, i);
      latencies[i] = performance.now() - started;
      onResult?.(result, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(window, items.length)) }, lane));
  return latencies;
}
