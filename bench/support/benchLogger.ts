import { pino } from 'pino';
import type { Logger } from '../../src/index.js';

/**
 * The logger of the bench's apps, logs and projections: warnings and errors only (or `LOG_LEVEL`),
 * on stderr, so that `--json` output on stdout stays one metric per line.
 *
 * @example
 * ```ts
 * const app = await createApp({ engine: 'embedded', dataDir, aggregates: [Account], logger: benchLogger });
 * ```
 */
export const benchLogger: Logger = pino({ name: 'tributary-bench', level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
