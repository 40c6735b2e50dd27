import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import type { Command, CommandResult } from '../../src/commands/command.js';
import { createCommandClient, type CommandClient } from '../../src/commands/commandClient.js';
import { createApp, type NatsApp } from '../../src/createApp.js';
import { createPrng } from '../../src/testing/prng.js';
import { checkAccountHistory, record, type SentCommands } from '../support/accountHistory.js';
import { startNatsCluster, type NatsCluster } from '../support/natsCluster.js';
import { uniqueName } from '../support/sharedNats.js';

// Two write nodes on a 3-node cluster of nats-server (2.9.10 in CI) with an R3 stream, entering at
// different servers; the client enters at the third. Deeper runs: SCALE_COMMANDS=20000.
const ACCOUNTS = 100;
const COMMANDS = Number(process.env.SCALE_COMMANDS ?? 3000);

let cluster: NatsCluster;
let client: NatsConnection;
const apps: NatsApp[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
  client = await connect({ servers: cluster.urls[2], noRandomize: true });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.close()));
  await client?.close();
  await cluster?.dispose();
});

async function twoNodes(ownership: boolean): Promise<[NatsApp, NatsApp, string]> {
  const stream = uniqueName('SCALE');
  const options = (url: string) =>
    ({ engine: 'nats', servers: url, stream, prefix: stream.toLowerCase(), replicas: 3, aggregates: [Account], ownership }) as const;
  const a = await createApp(options(cluster.urls[0]!));
  const b = await createApp(options(cluster.urls[1]!));
  apps.push(a, b);
  return [a, b, stream.toLowerCase()];
}

/** Sends until the answer is not a conflict (a caller's retry, with the same commandId), recording every answer. */
async function settle(remote: CommandClient, sent: SentCommands, command: Command): Promise<CommandResult> {
  for (;;) {
    const r = await remote.send(command);
    record(sent, command, r);
    if (r.ok || r.error.code !== 'conflict') return r;
  }
}

async function workload(remote: CommandClient, seed: number): Promise<{ sent: SentCommands; ids: string[]; conflicts: number }> {
  const random = createPrng(seed);
  const sent: SentCommands = new Map();
  const ids = Array.from({ length: ACCOUNTS }, (_, i) => `acc-${i}`);
  await Promise.all(ids.map((id) => settle(remote, sent, { type: 'OpenAccount', aggregate: 'Account', id, payload: { owner: id }, commandId: `open-${id}` })));
  const commands: Command[] = Array.from({ length: COMMANDS }, (_, n) => {
    const id = ids[Math.floor(random.next() * ACCOUNTS)]!;
    const type = random.next() < 0.55 ? 'Deposit' : 'Withdraw';
    return { type, aggregate: 'Account', id, payload: { amount: 1 + Math.floor(random.next() * 100) }, commandId: `c-${n}` };
  });
  await Promise.all(commands.map((c) => settle(remote, sent, c)));
  const conflicts = [...sent.values()].reduce((n, s) => n + s.answers.filter((a) => !a.ok && a.error.code === 'conflict').length, 0);
  return { sent, ids, conflicts };
}

describe.each([
  { ownership: false, title: 'without ownership (every command may race on the other node)' },
  { ownership: true, title: 'with shard ownership' },
])('two write nodes on a clustered R3 stream, $title', ({ ownership }) => {
  it('give the serial history: one commit per version, no lost update, every acked commandId once, every answer its first', async () => {
    const [a, b, prefix] = await twoNodes(ownership);
    const remote = createCommandClient({ nc: client, prefix, timeout: 30_000 });
    const seed = Date.now() % 1_000_000;
    const { sent, ids, conflicts } = await workload(remote, seed);
    // Both nodes ran a real share of the commands.
    expect(Math.min(a.commands!.handled, b.commands!.handled), `seed ${seed}`).toBeGreaterThan(COMMANDS / 10);
    if (ownership) expect(conflicts, `seed ${seed}: conflicts with ownership`).toBe(0);

    const balances = await checkAccountHistory(a.log, sent);
    for (const id of ids) {
      for (const app of [a, b]) expect((await app.state(Account, id))?.context, `${id}, seed ${seed}`).toEqual({ owner: id, balance: balances.get(id) });
    }
    // And the same totals from the acknowledged replies alone, independently of the log.
    let fromReplies = 0;
    for (const { command, answers } of sent.values()) {
      if (answers.at(-1)?.ok && command.type !== 'OpenAccount') fromReplies += (command.type === 'Deposit' ? 1 : -1) * (command.payload as { amount: number }).amount;
    }
    expect([...balances.values()].reduce((s, v) => s + v, 0)).toBe(fromReplies);
    await remote.close();
  });
});

describe('a retry while the first attempt is still queued', () => {
  it('is answered with what was committed, whichever node the retry reaches', async () => {
    const [a, , prefix] = await twoNodes(true);
    const remote = createCommandClient({ nc: client, prefix, timeout: 30_000 });
    const other = await connect({ servers: cluster.urls[0], noRandomize: true });
    const retryClient = createCommandClient({ nc: other, prefix, timeout: 30_000 });
    const sent: SentCommands = new Map();
    const ids = Array.from({ length: 10 }, (_, i) => `q-${i}`);
    await Promise.all(ids.map((id) => settle(remote, sent, { type: 'OpenAccount', aggregate: 'Account', id, payload: { owner: id }, commandId: `open-${id}` })));
    await Promise.all(
      ids.map(async (id) => {
        // A queue of deposits ahead of the withdrawal keeps it waiting past the first attempt's timeout.
        const ahead = Array.from({ length: 60 }, (_, n) =>
          settle(remote, sent, { type: 'Deposit', aggregate: 'Account', id, payload: { amount: 1 }, commandId: `${id}-d${n}` }),
        );
        const withdraw: Command = { type: 'Withdraw', aggregate: 'Account', id, payload: { amount: 30 }, commandId: `${id}-w` };
        const first = await remote.send(withdraw, { timeout: 5 });
        expect(first).toMatchObject({ ok: false, error: { code: 'timeout' } });
        record(sent, withdraw, first);
        await settle(retryClient, sent, withdraw);
        await Promise.all(ahead);
      }),
    );
    const balances = await checkAccountHistory(a.log, sent);
    for (const id of ids) {
      const first = await a.log.firstDecision!(`${id}-w`);
      const committed = first?.kind === 'commit' ? first.result : undefined;
      const answer = sent.get(`${id}-w`)!.answers.find((r) => r.ok || r.error.code !== 'timeout')!;
      if (committed) expect(answer).toEqual({ ok: true, version: committed.version, position: committed.position, events: committed.events });
      else expect(answer).toMatchObject({ ok: false, error: { code: 'rejected' } });
      expect(balances.get(id)).toBe(60 - (committed ? 30 : 0));
    }
    await retryClient.close();
    await other.close();
    await remote.close();
  });
});
