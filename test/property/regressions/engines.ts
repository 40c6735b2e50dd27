/**
 * Counterexamples found by the two-engine property, kept as regression cases: they run first,
 * every time.
 */
import type { ReadConfig, WriteConfig } from '../arbitraries.js';
import type { Regression } from '../support/fcSettings.js';

export const engineRegressions: Regression<{ write: WriteConfig; read: ReadConfig }>[] = [];
