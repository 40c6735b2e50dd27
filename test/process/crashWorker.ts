// Child process of crash.test.ts: runs the Probe process (on either engine) until it has taken the
// log, answered its outbox and fired its timers. The test kills it with SIGKILL at random moments,
// and (with a kill-at-send number) right after an outbox entry is durable and before its command
// is dispatched. On NATS a second worker may stand by and take over.
import path from 'node:path';
import { createProcesses } from '../../src/process/createProcesses.js';
import { createLogger } from '../../src/logging/logger.js';
import type { LogSpec } from '../projection/support.js';
import { openWriter } from './crashSupport.js';
import { Probe } from './probe.js';

const [specJson, dataDir, maxBatch, killAtSend, node] = process.argv.slice(2) as [string, string, string, string, string];
const spec = JSON.parse(specJson) as LogSpec;
const writer = await openWriter(spec);
let sends = 0;
// `hang`: the first command never gets an answer, so this node keeps the process busy until killed.
const send: typeof writer.send = (command) => {
  if (killAtSend === 'hang') return new Promise(() => {});
  if (++sends === Number(killAtSend)) process.kill(process.pid, 'SIGKILL');
  return writer.send(command);
};
const processes = await createProcesses({
  log: writer.log,
  path: path.join(dataDir, 'processes'),
  processes: [Probe],
  send,
  logger: createLogger(),
  maxBatch: Number(maxBatch),
  node,
  ownership: { heartbeat: 100, takeoverAfter: 500 },
});
await processes.start();
const probe = processes.get(Probe);
process.stdout.write(`ready ${(await probe.status()).state}\n`);
const deadline = Date.now() + 60_000;
for (;;) {
  const s = await probe.status();
  if (s.state === 'running' && s.lag === 0 && s.outbox === 0 && s.timers === 0) break;
  if (Date.now() > deadline) {
    process.stderr.write(`did not settle: ${JSON.stringify({ ...s, halted: s.halted.length })}\n`);
    process.exit(2);
  }
  await new Promise((r) => setTimeout(r, 20));
}
await processes.close();
await writer.close();
process.stdout.write('done\n');
