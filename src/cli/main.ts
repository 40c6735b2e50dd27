#!/usr/bin/env node
import { Command } from 'commander';
import { register as registerDemo } from './commands/demo.js';
import { register as registerSend } from './commands/send.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerQuery } from './commands/query.js';
import { register as registerWatch } from './commands/watch.js';
import { register as registerRebuild } from './commands/rebuild.js';
import { register as registerStatus } from './commands/status.js';
import { register as registerEvents } from './commands/events.js';
import { register as registerTail } from './commands/tail.js';
import { register as registerInit } from './commands/init.js';

// Each subcommand lives in cli/commands/<name>.ts and exports `register(program)`; add new ones here.
const subcommands: ReadonlyArray<(program: Command) => void> = [registerDemo, registerServe, registerSend, registerQuery, registerWatch, registerRebuild, registerStatus, registerEvents, registerTail, registerInit];

// A reader that goes away (`tributary tail | head`) ends the output, not in a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

const program = new Command('tributary')
  .description('Tributary: CQRS and event sourcing with XState aggregates, a NATS JetStream or LMDB event log, and RxJS projections')
  .showHelpAfterError();
for (const register of subcommands) register(program);

await program.parseAsync(process.argv);
