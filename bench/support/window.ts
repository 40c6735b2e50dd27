/**
 * Runs `task` for every item with at most `window` in flight, starting items in order, and
 * returns each item's latency in milliseconds. Starting in order matters: one aggregate's commands
 * then reach its mailbox in workload order, which is what the reference model assumes.
 *
 * @example
 * ```ts
 * const latencies = await runWindowed(commands, 1000, (c) => app.send(c));
 * ```
 */
export async function runWindowed<T, R>(
  items: readonly T[],
  window: number,
  task: (item: T, index: number) => Promise<R>,
  onResult?: (result: R, index: number) => void,
): Promise<Float64Array> {
  const latencies = new Float64Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      const t0 = performance.now();
      const r = await task(items[i]!, i);
      latencies[i] = performance.now() - t0;
      onResult?.(r, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, lane));
  return latencies;
}
