// One thread of the sharded ceiling (ceilingSharded.ts): its share of W1 through runCeiling, on
// the LMDB environment every thread opens, with positions from the counter they share.
import { parentPort, workerData } from 'node:worker_threads';
import { reducerCore, xstateCore, type CeilingCore } from './ceilingCore.js';
import { openCeilingLog, runCeiling } from './ceilingLoop.js';
import type { CeilingThreadData } from './ceilingSharded.js';
import { tempDir } from './embeddedRuns.js';
import { createW1, shardW1 } from './w1.js';

const data = workerData as CeilingThreadData;
const port = parentPort!;
const core = (data.core === 'xstate' ? xstateCore() : reducerCore()) as CeilingCore<unknown>;

// A fresh thread runs cold code; the single-thread rows are measured warm, so this one warms up
// first on a small workload of its own in a scratch environment.
const scratch = tempDir('trib-ceiling-warm-');
const warmLog = openCeilingLog(scratch.path);
await runCeiling(core, shardW1(createW1({ accounts: 1000, operations: 10_000, seed: 9 }), data.index, data.count), warmLog, { batch: data.batch });
await warmLog.root.close();
scratch.dispose();

const w1 = shardW1(createW1(data.w1), data.index, data.count);
const log = openCeilingLog(data.path);
const positions = new Int32Array(data.positions);
const startLine = () =>
  new Promise<void>((resolve) => {
    port.once('message', () => resolve());
    port.postMessage({ kind: 'ready' });
  });
const run = await runCeiling(core, w1, log, { batch: data.batch, nextPosition: () => Atomics.add(positions, 0, 1) + 1, beforeOperations: startLine });
// Closed only once every thread is done with the environment they share.
port.once('message', () => void log.root.close().then(() => port.close()));
port.postMessage({ kind: 'done', run });
