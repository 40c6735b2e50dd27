/**
 * Counterexamples found by the aggregate-state property (live = rehydrated = snapshot + tail),
 * kept as regression cases: they run first, on both engines, every time.
 */
import type { WriteConfig } from '../arbitraries.js';
import type { Regression } from '../support/fcSettings.js';

export const aggregateStateRegressions: Regression<WriteConfig>[] = [];
