import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoWorkload } from '../../src/cli/demo/demoWorkload.js';
import { runCli, type CliRun } from '../support/runCli.js';
import { sharedNatsUrl } from '../support/sharedNats.js';

const COMMANDS = 2000;
const SEED = 7;

type Run = CliRun;

function demo(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return runCli(['demo', ...args], env);
}

function withoutNats(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NATS_URL;
  delete env.LOG_LEVEL;
  return env;
}

const n = (value: number) => value.toLocaleString('en-US');

// The outcome lines of the summary: they depend on the seed only, never on the engine or timing.
const outcomeLines = (stdout: string) => stdout.split('\n').filter((l) => /^ {2,4}\S/.test(l) && /^\s+(accepted|rejected|invalid|[A-Z][A-Za-z]+|unknown_command)\s+[\d,]+/.test(l));

// What the model says the workload comes to, tallied here, separately from the demo's own tally.
const expected = (() => {
  const w = createDemoWorkload({ commands: COMMANDS, seed: SEED });
  const reasons = new Map<string, number>();
  const codes = new Map<string, number>();
  let accepted = 0;
  for (const e of w.expected) {
    if (e.kind === 'accepted') accepted += 1;
    else if (e.kind === 'rejected') reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
    else codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
  }
  return { accepted, reasons, codes, accounts: w.model.accounts.size, orders: w.model.orders.size };
})();

let dataDir: string;
let embedded: Run;

beforeAll(async () => {
  dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trib-')), 'demo');
  embedded = await demo(['--commands', String(COMMANDS), '--seed', String(SEED), '--data-dir', dataDir], withoutNats());
});

afterAll(() => {
  fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
});

describe('tributary demo (embedded engine)', () => {
  it('exits 0 and says the run was verified', () => {
    expect(embedded.stderr).not.toMatch(/failed|Error/);
    expect(embedded.code).toBe(0);
    expect(embedded.stdout).toMatch(/^Tributary demo on the embedded engine$/m);
    expect(embedded.stdout).toMatch(/^verified: every count and state above matches the model$/m);
    expect(embedded.stdout).not.toMatch(/✗|NOT verified/);
  });

  it('prints the counts the model predicts for the seed', () => {
    const out = embedded.stdout;
    expect(out).toMatch(new RegExp(`^Commands\\s+${n(COMMANDS)} in [\\d.]+ s  ·  [\\d,]+ commands/s$`, 'm'));
    expect(out).toMatch(new RegExp(`^  accepted\\s+${n(expected.accepted)}\\s.*${n(expected.accepted)} events in ${n(expected.accepted)} commits$`, 'm'));
    const rejected = [...expected.reasons.values()].reduce((a, b) => a + b, 0);
    const invalid = [...expected.codes.values()].reduce((a, b) => a + b, 0);
    expect(expected.accepted + rejected + invalid).toBe(COMMANDS);
    expect(out).toMatch(new RegExp(`^  rejected\\s+${n(rejected)}\\s`, 'm'));
    expect(out).toMatch(new RegExp(`^  invalid\\s+${n(invalid)}\\s`, 'm'));
    // The workload is built to hit these on purpose.
    for (const reason of ['InsufficientFunds', 'EmptyOrder', 'AlreadyShipped']) expect(expected.reasons.get(reason) ?? 0).toBeGreaterThan(0);
    for (const [reason, count] of expected.reasons) expect(out).toMatch(new RegExp(`^    ${reason}\\s+${n(count)}\\s`, 'm'));
    for (const [code, count] of expected.codes) expect(out).toMatch(new RegExp(`^    ${code}\\s+${n(count)}\\s`, 'm'));
    expect(out).toContain(`✓ AccountBalance: ${n(expected.accounts)} accounts`);
    expect(out).toContain(`✓ OrderSummary: ${n(expected.orders)} orders`);
  });

  it('shows state read back from the write model and the read models', () => {
    expect(embedded.stdout).toMatch(/^ {2}Account {2}acc-\d{4} +open +[\d,]+\.\d\d · \d+ events/m);
    expect(embedded.stdout).toMatch(/^ {2}Order {4}ord-\d{5} +\w+ +\d+ lines?, \d+ items?, [\d,]+\.\d\d$/m);
    expect(embedded.stdout).toMatch(/^ {2}Customer cus-\d{4} +registered .+ <.+@example\.(org|net)>$/m);
    expect(embedded.stdout).toMatch(/^Read models \(5 projections, caught up \d[\d,]* ms after the last command\)$/m);
    expect(embedded.stdout).toMatch(/^ {18}by .+ <.+@example\.(org|net)>\n {18}\(name and email copied in from Customer events\)$/m);
    // The featured customer is forgotten at the end: every reader then shows null.
    expect(embedded.stdout).toMatch(/^Forgotten: app\.forget\('cus-\d{4}'\) deleted its key; its events stay in the log$/m);
    expect(embedded.stdout).toMatch(/^ {2}Customer {8}cus-\d{4} +name null · email null · phone null$/m);
    expect(embedded.stdout).toMatch(/^ {2}OrderSummary {4}ord-\d{5} +by null <null>/m);
    expect(embedded.stdout).toMatch(/✓ forget\(cus-\d{4}\): personal fields read as null in state and views/);
  });

  it('fits an 80-column terminal', () => {
    const wide = embedded.stdout.split('\n').filter((l) => [...l].length > 80);
    expect(wide).toEqual([]);
  });

  it('prints plain progress and live change lines on stderr when it is not a terminal', () => {
    expect(embedded.stderr).toContain(`100%  ${n(COMMANDS)} of ${n(COMMANDS)} commands`);
    expect(embedded.stderr).not.toContain('\u001b['); // no bar, no cursor codes
    expect(embedded.stderr).toMatch(/^Live: OrderSummary\.changes\$ for ord-\d{5}/m);
    expect(embedded.stderr).toMatch(/^ {2}@ +[\d,]+ {2}(open|shipped|cancelled) +\d+ items? +[\d,]+\.\d\d {2}\S+@/m);
  });

  it('keeps the data in --data-dir and refuses to reuse a directory that is not empty', async () => {
    expect(embedded.stdout).toContain(`Data kept in ${dataDir}`);
    expect(fs.existsSync(path.join(dataDir, 'log'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'views'))).toBe(true);
    const again = await demo(['--commands', '10', '--data-dir', dataDir], withoutNats());
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`--data-dir ${dataDir} is not empty`);
  });
});

describe('tributary demo (NATS engine)', () => {
  it('runs the same seed on JetStream with the same outcomes, then deletes its streams', async () => {
    const servers = sharedNatsUrl();
    const run = await demo(['--commands', String(COMMANDS), '--seed', String(SEED)], { ...withoutNats(), NATS_URL: servers });
    expect(run.stderr).not.toMatch(/failed|Error/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Tributary demo on the nats engine$/m);
    expect(run.stdout).toMatch(/^verified: every count and state above matches the model$/m);
    expect(outcomeLines(run.stdout)).toEqual(outcomeLines(embedded.stdout));
    expect(outcomeLines(run.stdout).length).toBeGreaterThan(5);

    const stream = /JetStream (DEMO_[0-9a-f]+) at /.exec(run.stdout)?.[1];
    expect(stream).toBeDefined();
    const nc = await connect({ servers });
    try {
      const names: string[] = [];
      for await (const info of (await jetstreamManager(nc)).streams.list()) names.push(info.config.name);
      expect(names.filter((name) => name.startsWith(stream!))).toEqual([]);
    } finally {
      await nc.close();
    }
  });
});
