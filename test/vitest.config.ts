import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    // lmdb is a native addon; forks isolate it more simply than worker threads.
    pool: 'forks',
    // One nats-server -js for the whole run; tests read its URL with inject('natsUrl').
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
