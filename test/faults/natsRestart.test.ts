import type { NatsConnection } from '@nats-io/transport-node';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import type { Command, CommandResult } from '../../src/commands/command.js';
import { createCommandClient, type CommandClient } from '../../src/commands/commandClient.js';
import { createApp, type NatsApp } from '../../src/createApp.js';
import { connectNats } from '../../src/eventLog/nats/connectNats.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';

// This file restarts its server, so it runs its own instead of the shared one.
let server: NatsServer;
let app: NatsApp;
let nc: NatsConnection;
let client: CommandClient;

const ACCOUNTS = 20;
const WORKERS = 10;

beforeAll(async () => {
  server = await startNatsServer();
  const connection = { servers: server.url, reconnectTimeWait: 100 };
  app = await createApp({ engine: 'nats', ...connection, aggregates: [Account] });
  nc = await connectNats(connection);
  client = createCommandClient({ nc, timeout: 3000 });
});

afterAll(async () => {
  await client?.close();
  await app?.close();
  await nc?.close();
  await server?.dispose();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Sent = { command: Command; result: CommandResult; phase: 'before' | 'during' | 'after' };

describe('a nats-server restart under load', () => {
  it('the service reconnects by itself, serves again, and no acknowledged command is lost', async () => {
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => `r-${i}`);
    const opened = await Promise.all(
      ids.map((id) => client.send({ type: 'OpenAccount', aggregate: 'Account', id, payload: { owner: id }, commandId: `open-${id}` })),
    );
    expect(opened.every((r) => r.ok)).toBe(true);

    const sent: Sent[] = [];
    let phase: Sent['phase'] = 'before';
    let stop = false;
    let counter = 0;
    const worker = async (w: number): Promise<void> => {
      while (!stop) {
        const n = counter++;
        const command: Command = { type: 'Deposit', aggregate: 'Account', id: ids[(n + w) % ACCOUNTS]!, payload: { amount: 1 }, commandId: `dep-${n}` };
        const at = phase;
        const result = await client.send(command);
        // A command sent before the restart but answered after it belongs to the outage.
        sent.push({ command, result, phase: at === phase ? at : 'during' });
        if (!result.ok) await sleep(20);
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));

    while (sent.filter((s) => s.result.ok).length < 200) await sleep(10);
    phase = 'during';
    await server.restart();
    phase = 'after';
    const handledAtRestart = app.commands!.handled;
    const deadline = Date.now() + 15_000;
    while (sent.filter((s) => s.phase === 'after' && s.result.ok).length < 200 && Date.now() < deadline) await sleep(20);
    stop = true;
    await Promise.all(workers);

    const okBefore = sent.filter((s) => s.phase === 'before' && s.result.ok);
    const okAfter = sent.filter((s) => s.phase === 'after' && s.result.ok);
    const failures = sent.filter((s) => !s.result.ok).map((s) => (s.result.ok ? '' : `${s.phase}: ${s.result.error.code} ${s.result.error.message}`));
    expect(okBefore.length).toBeGreaterThanOrEqual(200);
    expect(okAfter.length, `failures: ${failures.slice(0, 5).join('\n')}`).toBeGreaterThanOrEqual(200);
    expect(app.commands!.handled).toBeGreaterThan(handledAtRestart);

    // A command whose reply was lost may or may not have run: sending it again with the same
    // commandId settles it, and never applies it twice.
    const retried = await Promise.all(sent.filter((s) => !s.result.ok).map((s) => client.send(s.command)));
    expect(retried.filter((r) => !r.ok)).toEqual([]);

    // Every command that got an ok reply is in the log, at the position and version it was told.
    const commits = await lastValueFrom(app.log.readAll({ live: false }).pipe(toArray()));
    const events = new Map(commits.flatMap((c) => c.events).map((e) => [e.commandId, e]));
    for (const s of [...okBefore, ...okAfter, ...sent.filter((x) => x.phase === 'during' && x.result.ok)]) {
      const logged = events.get(s.command.commandId!);
      expect(logged, `${s.phase} ${s.command.commandId}`).toBeDefined();
      if (s.result.ok) expect({ version: logged!.version, position: logged!.position }).toEqual({ version: s.result.version, position: s.result.position });
    }
    // Nothing was applied twice, and the write model agrees with the log.
    expect(new Set(commits.map((c) => c.commandId)).size).toBe(commits.length);
    expect(commits.length).toBe(ACCOUNTS + sent.length);
    for (const id of ids) {
      const deposits = commits.filter((c) => c.id === id).length - 1;
      expect(await app.state(Account, id)).toMatchObject({ context: { balance: deposits }, version: deposits + 1 });
    }
  });
});
