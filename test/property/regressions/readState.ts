/**
 * Counterexamples found by the read-state property (live = rebuilt = model), kept as regression
 * cases: they run first, on both engines, every time. Paste new ones from a failure report.
 */
import type { ReadConfig, WriteConfig } from '../arbitraries.js';
import type { Regression } from '../support/fcSettings.js';

export type ReadStateConfig = { write: WriteConfig; read: ReadConfig };

export const readStateRegressions: Regression<ReadStateConfig>[] = [];
