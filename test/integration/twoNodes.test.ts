import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import type { Command, CommandResult } from '../../src/commands/command.js';
import { createCommandClient } from '../../src/commands/commandClient.js';
import { createApp, type NatsApp } from '../../src/createApp.js';
import type { EventEnvelope } from '../../src/eventLog/eventLog.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

const ACCOUNTS = 100;
const COMMANDS_PER_ACCOUNT = 40;

/** mulberry32: a small seeded PRNG, so that a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let nc: NatsConnection;
const streams: string[] = [];
const apps: NatsApp[] = [];

beforeAll(async () => {
  nc = await connect({ servers: sharedNatsUrl() });
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  if (nc) {
    const jsm = await jetstreamManager(nc);
    for (const stream of streams) {
      for (const name of [stream, `${stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
    }
    await nc.close();
  }
});

/**
 * Two nodes: separate connections, same stream, same queue group. maxAttempts 1 hands every write
 * conflict back to the caller, so the test sees (and counts) the contention between nodes.
 */
async function twoNodes(ownership: boolean): Promise<[NatsApp, NatsApp]> {
  const servers = sharedNatsUrl();
  const stream = uniqueName('TWO');
  streams.push(stream);
  const options = { engine: 'nats', servers, stream, prefix: stream.toLowerCase(), aggregates: [Account], maxAttempts: 1, ownership } as const;
  const pair: [NatsApp, NatsApp] = [await createApp(options), await createApp(options)];
  apps.push(...pair);
  return pair;
}

describe.each([
  { ownership: false, title: 'any node runs any command: optimistic concurrency keeps them serial' },
  { ownership: true, title: 'with shard ownership: each aggregate runs on one node, no conflicts' },
])('two nodes in one queue group, $title', ({ ownership }) => {
  it('give exactly what a serial execution gives: no lost update, no duplicate event', async () => {
    const [a, b] = await twoNodes(ownership);
    const client = createCommandClient({ nc, prefix: a.log.prefix, timeout: 25_000 });
    const seed = Date.now() % 1_000_000;
    const random = prng(seed);
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => `acc-${i}`);

    const opened = await Promise.all(
      ids.map((id) => client.send({ type: 'OpenAccount', aggregate: 'Account', id, payload: { owner: id }, commandId: `open-${id}` })),
    );
    expect(opened.every((r) => r.ok), `seed ${seed}`).toBe(true);

    // Deposits and withdrawals interleaved at random, all in flight at once; withdrawals that the
    // balance does not cover at their turn must be rejected, whichever node runs them.
    const commands: Command[] = [];
    for (let n = 0; n < COMMANDS_PER_ACCOUNT; n++) {
      for (const id of ids) {
        const type = random() < 0.55 ? 'Deposit' : 'Withdraw';
        commands.push({ type, aggregate: 'Account', id, payload: { amount: 1 + Math.floor(random() * 100) }, commandId: `${id}-${n}` });
      }
    }
    for (let i = commands.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [commands[i], commands[j]] = [commands[j]!, commands[i]!];
    }
    let conflicts = 0;
    const sendUntilSettled = async (command: Command): Promise<CommandResult> => {
      for (;;) {
        const r = await client.send(command);
        // A caller retries a conflict with the same commandId: it can never apply twice.
        if (r.ok || r.error.code !== 'conflict') return r;
        conflicts += 1;
      }
    };
    const handledBefore = a.commands!.handled + b.commands!.handled;
    const results = await Promise.all(commands.map(sendUntilSettled));
    const byCommandId = new Map(commands.map((c, i) => [c.commandId!, { command: c, result: results[i]! }]));

    for (const r of results) {
      if (!r.ok) expect({ code: r.error.code, reason: r.error.details?.reason }, `seed ${seed}`).toEqual({ code: 'rejected', reason: 'InsufficientFunds' });
    }
    // Both nodes took a real share of the work.
    const served = [a.commands!.handled, b.commands!.handled];
    expect(served[0]! + served[1]! - handledBefore).toBe(commands.length + conflicts);
    expect(Math.min(...served)).toBeGreaterThan(commands.length / 10);
    if (ownership) {
      // Each account's commands all ran on its owner: nothing to conflict with.
      expect(conflicts, `seed ${seed}`).toBe(0);
    } else {
      // The nodes really raced each other on the same aggregates (hundreds of conflicts per run).
      expect(conflicts, `seed ${seed}`).toBeGreaterThan(0);
    }

    // The log: every acknowledged command exactly once, no rejected one, versions 1..n per account.
    const commits = await lastValueFrom(a.log.readAll({ live: false }).pipe(toArray()));
    const logged = commits.flatMap((c) => c.events as EventEnvelope[]);
    const accepted = [...byCommandId.values()].filter((x) => x.result.ok).map((x) => x.command.commandId!);
    expect(new Set(logged.map((e) => e.eventId)).size).toBe(logged.length);
    expect(logged.map((e) => e.commandId).sort()).toEqual([...ids.map((id) => `open-${id}`), ...accepted].sort());
    // Positions increase; a rejection takes one that no reader sees.
    expect(commits.every((c, i) => i === 0 || c.position > commits[i - 1]!.position)).toBe(true);

    let sum = 0;
    for (const id of ids) {
      const events = logged.filter((e) => e.id === id);
      expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
      // The serial model, replayed in log order: the balance never goes below zero.
      let balance = 0;
      for (const e of events.slice(1)) {
        const amount = (e.data as { amount: number }).amount;
        const sent = byCommandId.get(e.commandId)!;
        expect(sent.command.payload).toEqual({ amount });
        expect(sent.result).toMatchObject({ ok: true, version: e.version, position: e.position });
        if (e.type === 'Deposited') balance += amount;
        else {
          expect(balance, `${id} v${e.version}: seed ${seed}`).toBeGreaterThanOrEqual(amount);
          balance -= amount;
        }
      }
      // And the same total from the replies alone, independently of the log.
      const fromReplies = commands
        .filter((c) => c.id === id && byCommandId.get(c.commandId!)!.result.ok)
        .reduce((s, c) => s + (c.type === 'Deposit' ? 1 : -1) * (c.payload as { amount: number }).amount, 0);
      expect(balance).toBe(fromReplies);
      for (const app of [a, b]) {
        expect(await app.state(Account, id)).toMatchObject({ value: 'open', context: { balance }, version: events.length });
      }
      sum += balance;
    }
    expect(sum).toBeGreaterThan(0);
    await client.close();
  });
});
