#!/usr/bin/env node
// The CLI from the sources, through tsx: what the tests and `npm start` run in a checkout, with no
// build step. The package's `bin` is the compiled dist/src/cli/main.js.
import { register } from 'tsx/esm/api';
register();
await import('./main.ts');
