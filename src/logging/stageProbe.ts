/**
 * The stages of the write path, as the bench's CPU budget names them.
 *
 * @example
 * ```ts
 * const stage: WriteStage = 'decide';
 * ```
 */
export type WriteStage = 'validate' | 'route' | 'decide' | 'encode' | 'append' | 'evolve' | 'reply';

/**
 * Diagnostics only: lets a measuring tool (the bench) time the write path's stages. A factory
 * that takes a probe wraps its stage functions once, when it is created; without one (always, in
 * production) it uses the plain functions, so the probe costs nothing when absent.
 *
 * @example
 * ```ts
 * const encode = probe ? probe.wrap('encode', encodeCommitRecord) : encodeCommitRecord;
 * ```
 */
export type StageProbe = {
  /** A function that behaves as `fn` and is timed as `stage` (its synchronous part). */
  wrap<F extends (...args: never[]) => unknown>(stage: WriteStage, fn: F): F;
};

/**
 * `fn`, timed by `probe` as `stage` when there is a probe; `fn` itself otherwise.
 *
 * @example
 * ```ts
 * const decide = probed(options.probe, 'decide', decideCommand);
 * ```
 */
export function probed<F extends (...args: never[]) => unknown>(probe: StageProbe | undefined, stage: WriteStage, fn: F): F {
  return probe === undefined ? fn : probe.wrap(stage, fn);
}
