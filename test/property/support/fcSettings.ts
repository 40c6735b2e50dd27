/**
 * Run sizes, seeds and the counterexample report shared by the property tests.
 *
 * - `FC_NUM_RUNS=<n>`: runs per property (overrides the defaults).
 * - `FC_MULTIPLIER=<k>`: multiplies the default runs (`npm run test:deep` uses 20).
 * - `FC_SEED=<seed>` (and `FC_PATH=<path>`): replay a reported failure exactly.
 *
 * A failure prints the seed and path, the shrunk history step by step with what each command
 * returned (the trace), and the counterexample as data ready to paste into
 * test/property/regressions/<file>.ts, whose cases run first on every run as `examples`.
 */
import fc from 'fast-check';
import { stepsOf, toCommands, type Step, type StepTarget } from '../history.js';

const multiplier = Number(process.env.FC_MULTIPLIER ?? '1');
const fixedRuns = process.env.FC_NUM_RUNS === undefined ? undefined : Number(process.env.FC_NUM_RUNS);

/** Runs of a property: `FC_NUM_RUNS`, or the default times `FC_MULTIPLIER`. */
export const numRuns = (defaultRuns: number): number => fixedRuns ?? Math.max(1, Math.round(defaultRuns * multiplier));

const MS_PER_RUN = 1_500;

/** How long a property may run (its runs, then shrinking) before it reports what it has. */
const timeLimitFor = (defaultRuns: number): number => 120_000 + numRuns(defaultRuns) * MS_PER_RUN;

/** The vitest timeout of a property test: its time limit plus room to report. */
export const timeoutFor = (defaultRuns: number): number => timeLimitFor(defaultRuns) + 30_000;

/** A counterexample kept in test/property/regressions/: it runs first, every time. */
export type Regression<C> = { readonly found: string; readonly steps: readonly Step[]; readonly config: C };

type Case<C, X extends unknown[]> = [Iterable<fc.AsyncCommand<object, StepTarget>>, C, ...X];

/** Where the shrunk counterexample came from, for the report. */
const replayHint = (seed: number, path: string | null | undefined) =>
  `reproduce with: FC_SEED=${seed}${path ? ` FC_PATH=${path}` : ''} npx vitest run --config test/vitest.config.ts <this file>`;

/**
 * fast-check parameters for a history property `(commands, config, ...extra)`: run count,
 * seed/path from the environment, the regression cases as examples (with `extra()` supplying any
 * further arguments, such as a scheduler), and a reporter that prints a readable counterexample.
 */
export function parameters<C, X extends unknown[] = []>(
  defaultRuns: number,
  regressionFile: string,
  regressions: readonly Regression<C>[],
  extra: () => X = () => [] as unknown as X,
): fc.Parameters<Case<C, X>> {
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  return {
    numRuns: numRuns(defaultRuns),
    // Shrinking a history that hangs costs a timeout per attempt: stop in time to report the
    // smallest counterexample found so far, before the test itself times out.
    interruptAfterTimeLimit: timeLimitFor(defaultRuns),
    markInterruptAsFailure: true,
    ...(seed !== undefined ? { seed } : {}),
    ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
    examples: regressions.map((r): Case<C, X> => [toCommands(r.steps), r.config, ...extra()]),
    reporter(details) {
      if (!details.failed) return;
      const lines = [fc.defaultReportMessage(details) ?? 'property failed'];
      const error = details.errorInstance;
      if (error instanceof Error) lines.push('', 'Error of the shrunk counterexample:', error.message);
      if (details.counterexample) {
        const [commands, config] = details.counterexample;
        const steps = stepsOf(commands).map((s) => `    ${JSON.stringify(s)},`);
        lines.push(
          '',
          `Regression case (append to test/property/regressions/${regressionFile}):`,
          `  {\n    found: 'what this case caught',\n    config: ${JSON.stringify(config)},\n    steps: [\n${steps.join('\n').replace(/^/gm, '  ')}\n    ],\n  },`,
        );
      }
      lines.push('', replayHint(details.seed, details.counterexamplePath));
      throw new Error(lines.join('\n'));
    },
  };
}

/** Re-throws `err` with the history's trace appended, so that the report shows what each command did. */
export function withTrace(err: unknown, trace: readonly string[]): Error {
  const message = err instanceof Error ? err.message : String(err);
  const shown = trace.length > 120 ? [...trace.slice(0, 20), `... ${trace.length - 60} lines ...`, ...trace.slice(-40)] : trace;
  return new Error(`${message}\n\nTrace of the history (step, then each command and what it returned):\n${shown.join('\n')}`);
}
