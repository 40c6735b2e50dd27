#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so that `npm start` and `npx tributary` need no build step.
import { register } from 'tsx/esm/api';
register();
await import('./main.ts');
