/**
 * Counterexamples found by the change-stream property, kept as regression cases: they run first,
 * on both engines, every time.
 */
import type { ReadConfig, WriteConfig } from '../arbitraries.js';
import type { Regression } from '../support/fcSettings.js';

export const changeStreamRegressions: Regression<{ write: WriteConfig; read: ReadConfig }>[] = [];
