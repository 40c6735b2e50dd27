#!/usr/bin/env node
import { Command } from 'commander';
import { register as registerDemo } from './commands/demo.js';
import { register as registerSend } from './commands/send.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerQuery } from './commands/query.js';
import { register as registerWatch } from './commands/watch.js';
import { register as registerRebuild } from './commands/rebuild.js';
import { register as registerStatus } from './commands/status.js';

// Each subcommand lives in cli/commands/<name>.ts and exports `register(program)`; add new ones here.
const subcommands: ReadonlyArray<(program: Command) => void> = [registerDemo, registerServe, registerSend, registerQuery, registerWatch, registerRebuild, registerStatus];

const program = new Command('tributary')
  .description('Tributary: CQRS and event sourcing with XState aggregates, a NATS JetStream or LMDB event log, and RxJS projections')
  .showHelpAfterError();
for (const register of subcommands) register(program);

await program.parseAsync(process.argv);
