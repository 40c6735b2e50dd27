// Child process of crash.test.ts: runs the Probe process over the prefilled log until it has taken
// the log, answered its outbox and fired its timers. The test kills it with SIGKILL at random
// moments, and (with a kill-at-send number) right after the outbox entry is durable and before
// the command is dispatched.
import path from 'node:path';
import { Account } from '../../actors/index.js';
import { createAggregateRegistry } from '../../src/aggregate/aggregateRegistry.js';
import { createDispatch } from '../../src/commands/dispatch.js';
import { createLmdbEventLog } from '../../src/eventLog/lmdb/createLmdbEventLog.js';
import { createLogger } from '../../src/logging/logger.js';
import { createProcesses } from '../../src/process/createProcesses.js';
import { Probe, ProbeTarget } from './probe.js';

const [dataDir, maxBatch, killAtSend] = process.argv.slice(2) as [string, string, string];
const logger = createLogger();
const log = await createLmdbEventLog({ path: path.join(dataDir, 'log') });
const registry = createAggregateRegistry({ log, logger });
const dispatch = createDispatch({ aggregates: [ProbeTarget, Account], registry, logger });
let sends = 0;
const send: typeof dispatch = (command) => {
  if (++sends === Number(killAtSend)) process.kill(process.pid, 'SIGKILL');
  return dispatch(command);
};
const processes = await createProcesses({ log, path: path.join(dataDir, 'processes'), processes: [Probe], send, logger, maxBatch: Number(maxBatch) });
await processes.start();
const probe = processes.get(Probe);
process.stdout.write(`ready ${(await probe.status()).position}\n`);
const deadline = Date.now() + 30_000;
for (;;) {
  const s = await probe.status();
  if (s.lag === 0 && s.outbox === 0 && s.timers === 0) break;
  if (Date.now() > deadline) {
    process.stderr.write(`did not settle: ${JSON.stringify({ ...s, halted: s.halted.length })}\n`);
    process.exit(2);
  }
  await new Promise((r) => setTimeout(r, 20));
}
await processes.close();
await registry.close();
await log.close();
process.stdout.write('done\n');
