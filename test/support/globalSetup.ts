import type { TestProject } from 'vitest/node';
import { startNatsServer } from './natsServer.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the nats-server shared by the whole run; '' when it could not start. */
    natsUrl: string;
    /** Why the shared nats-server could not start ('' when it runs). */
    natsError: string;
  }
}

/**
 * Starts one `nats-server -js` for the whole test run and provides its URL to the tests
 * (`inject('natsUrl')`); stops it at the end. When the server cannot start (for example
 * nats-server is not installed), the reason is provided instead, and every test that needs NATS
 * fails with it: tests that do not need NATS still run.
 *
 * @example
 * ```ts
 * // test/vitest.config.ts
 * export default defineConfig({ test: { globalSetup: ['test/support/globalSetup.ts'] } });
 * ```
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const server = await startNatsServer();
    project.provide('natsUrl', server.url);
    project.provide('natsError', '');
    return () => server.dispose();
  } catch (err) {
    project.provide('natsUrl', '');
    project.provide('natsError', err instanceof Error ? err.message : String(err));
    return async () => {};
  }
}
