/**
 * Runs `task` over `items` with at most `window` in flight, starting them strictly in order, and
 * calls `onResult` as each one settles. Starting in order is what keeps one aggregate's commands
 * in workload order: dispatch queues a command in its aggregate's mailbox as it is sent.
 *
 * @example
 * ```ts
 * await runWindowed(commands, 256, (c) => app.send(c), (result, i) => tally(i, result));
 * ```
 */
export async function runWindowed<T, R>(
  items: readonly T[],
  window: number,
  task: (item: T, index: number) => Promise<R>,
  onResult: (result: R, index: number) => void,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      onResult(await task(items[i]!, i), i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(window, items.length)) }, lane));
}
