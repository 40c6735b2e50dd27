/**
 * Counterexamples found by the restart property, kept as regression cases: they run first, on
 * both engines, every time.
 */
import type { ReadConfig, WriteConfig } from '../arbitraries.js';
import type { Regression } from '../support/fcSettings.js';

export const restartRegressions: Regression<{ write: WriteConfig; read: ReadConfig }>[] = [];
