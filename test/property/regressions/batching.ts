/**
 * Counterexamples found by the batching/delivery property, kept as regression cases: they run
 * first, on both engines, every time.
 */
import type { Delivery } from '../batching.test.js';
import type { WriteConfig } from '../arbitraries.js';
import type { Regression } from '../support/fcSettings.js';

export type BatchingConfig = { write: WriteConfig; deliveries: Delivery[] };

export const batchingRegressions: Regression<BatchingConfig>[] = [];
