import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { createApp, DEFAULT_NATS_SNAPSHOT_EVERY, type App } from '../../src/createApp.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

const stream = uniqueName('SNAPDEF');
const apps: App[] = [];

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  const nc = await connect({ servers: sharedNatsUrl() });
  const jsm = await jetstreamManager(nc);
  for (const name of [stream, `${stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
  await nc.close();
});

describe('the NATS engine', () => {
  it('snapshots aggregates that set no snapshotEvery, so a node taking them over loads a short tail', async () => {
    expect(Account.snapshotEvery).toBeUndefined();
    const app = await createApp({ engine: 'nats', servers: sharedNatsUrl(), stream, prefix: stream.toLowerCase(), aggregates: [Account], serveCommands: false });
    apps.push(app);
    await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' }, commandId: 'open' });
    for (let i = 0; i < DEFAULT_NATS_SNAPSHOT_EVERY + 3; i++) {
      await app.send({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 1 }, commandId: `d-${i}` });
    }
    let snapshot;
    for (let i = 0; i < 50 && snapshot === undefined; i++) {
      snapshot = await app.log.snapshots.load('Account', 'a-1');
      if (snapshot === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    expect(snapshot?.version).toBe(DEFAULT_NATS_SNAPSHOT_EVERY);
    // A cold node restores it and gets the same state.
    const cold = await createApp({ engine: 'nats', servers: sharedNatsUrl(), stream, prefix: stream.toLowerCase(), aggregates: [Account], serveCommands: false });
    apps.push(cold);
    expect(await cold.state(Account, 'a-1')).toMatchObject({ version: DEFAULT_NATS_SNAPSHOT_EVERY + 4, context: { balance: DEFAULT_NATS_SNAPSHOT_EVERY + 3 } });
  });
});
