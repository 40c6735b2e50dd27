// W4 in a process of its own, so that its peak RSS is its own: a million accounts opened once
// each through the registry bound. Prints one JSON line (W4ChildResult) on stdout.
import { Account } from '../../actors/index.js';
import type { Command, CommandResult } from '../../src/index.js';
import { tempDir } from './embeddedRuns.js';
import { retainedHeap, startMemorySampler } from './memorySampler.js';
import { openProbedApp } from './probedApp.js';
import type { W4ChildResult } from './w4.js';

const [accounts, window, maxActors] = process.argv.slice(2).map(Number) as [number, number, number];
const open = (i: number): Command => ({ type: 'OpenAccount', aggregate: 'Account', id: `w4-${i}`, payload: { owner: `owner-${i}` }, commandId: `w4-open-${i}` });

const dir = tempDir('trib-w4-');
const app = await openProbedApp(dir.path, [Account], { maxActors });
let next = 0;
let accepted = 0;
let lastPosition = 0;
let inRange = true;
const errors: string[] = [];
const settle = (r: CommandResult) => {
  if (r.ok && r.version === 1 && r.events.length === 1) {
    accepted++;
    if (r.position < 1 || r.position > accounts) inRange = false;
    lastPosition = Math.max(lastPosition, r.position);
  } else errors.push(r.ok ? `unexpected version ${r.version}` : `${r.error.code}: ${r.error.message}`);
};
// Commands are made as they are sent: a million command objects held at once would be the bench's memory, not the framework's.
const lane = async (): Promise<void> => {
  while (next < accounts) settle(await app.send(open(next++)));
};
const sampler = startMemorySampler(500);
const t0 = performance.now();
await Promise.all(Array.from({ length: window }, lane));
const seconds = (performance.now() - t0) / 1000;
const peak = sampler.stop();
// What stays reachable once the garbage is collected: the framework's own memory at this size.
const retained = retainedHeap();
const liveActors = app.registry.size;
const evictions = app.registry.evictions;
// Every account was evicted or is live; sample some of both, read back from the log.
let wrong = 0;
const step = Math.max(1, Math.floor(accounts / 2000));
for (let i = 0; i < accounts; i += step) {
  const s = await app.state(Account, `w4-${i}`);
  if (s?.version !== 1 || s.context.owner !== `owner-${i}`) wrong++;
}
await app.close();
dir.dispose();
const result: W4ChildResult = {
  seconds,
  accepted,
  errors: errors.slice(0, 3),
  ok: accepted === accounts && errors.length === 0 && inRange && lastPosition === accounts && wrong === 0,
  peakRss: process.resourceUsage().maxRSS * 1024,
  peak,
  retainedHeap: retained,
  liveActors,
  evictions,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
