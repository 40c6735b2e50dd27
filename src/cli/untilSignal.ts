/**
 * Resolves on the first SIGINT or SIGTERM (and stops listening), so that a verb can stop reading,
 * close what it opened and exit by itself.
 *
 * @example
 * ```ts
 * const stop = untilSignal();
 * await Promise.race([work(), stop.signalled]);
 * stop.dispose();
 * ```
 */
export function untilSignal(): { readonly signalled: Promise<NodeJS.Signals>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      dispose();
      resolve(signal);
    };
  });
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { signalled, dispose };
}
