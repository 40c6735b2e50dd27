// Child process of crash.test.ts: projects the prefilled log into Counter until caught up.
// The test kills it with SIGKILL at random moments, then restarts it.
import path from 'node:path';
import { createProjections } from '../../src/projection/createProjections.js';
import { Counter, openLogFrom, type LogSpec } from './support.js';

const [dataDir, maxBatch, spec] = process.argv.slice(2) as [string, string, string];
const log = await openLogFrom(JSON.parse(spec) as LogSpec);
const projections = await createProjections({ log, path: path.join(dataDir, 'views'), projections: [Counter], maxBatch: Number(maxBatch) });
const head = await log.headPosition();
const from = (await projections.get(Counter).status()).position;
projections.start();
process.stdout.write(`ready ${from}\n`);
await projections.get(Counter).waitFor(head, { timeout: 60_000 });
await projections.close();
await log.close();
process.stdout.write(`done ${head}\n`);
