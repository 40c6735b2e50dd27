import { Command } from 'commander';
import { register as registerSend } from './commands/send.js';
import { register as registerServe } from './commands/serve.js';

// Each subcommand lives in cli/commands/<name>.ts and exports `register(program)`; add new ones here.
const subcommands: ReadonlyArray<(program: Command) => void> = [registerServe, registerSend];

const program = new Command('tributary')
  .description('Tributary: CQRS and event sourcing with XState aggregates, a NATS JetStream or LMDB event log, and RxJS projections')
  .showHelpAfterError();
for (const register of subcommands) register(program);

await program.parseAsync(process.argv);
