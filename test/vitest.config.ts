import { defineConfig } from 'vitest/config';

const source = (file: string) => new URL(`../src/${file}`, import.meta.url).pathname;

export default defineConfig({
  // `import 'tributary'` in tests (the README examples) means the sources, not a build in dist/.
  resolve: {
    alias: [
      { find: /^tributary$/, replacement: source('index.ts') },
      { find: /^tributary\/nats$/, replacement: source('nats.ts') },
      { find: /^tributary\/testing$/, replacement: source('testing/index.ts') },
    ],
  },
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    // lmdb is a native addon; forks isolate it more simply than worker threads.
    pool: 'forks',
    // One nats-server -js for the whole run; tests read its URL with inject('natsUrl').
    globalSetup: ['test/support/globalSetup.ts'],
    // The CLI tests run the example domain, whose config is not at the top level (which the user
    // fixed): child processes inherit this.
    env: { TRIBUTARY_CONFIG: new URL('../actors/tributary.config.ts', import.meta.url).pathname },
    // Two files at a time on a 2-core machine: most tests wait on servers and child processes, so
    // this halves the wall time (vitest's default is one worker per core less one, here 1).
    maxWorkers: 2,
    // Room for the CLI tests, each of which starts several `tsx` processes, when two files share
    // the cores.
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
