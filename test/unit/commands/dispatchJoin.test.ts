import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Account } from '../../../actors/index.js';
import { createApp } from '../../../src/createApp.js';

describe('dispatch', () => {
  it('answers a retry of a command still running with that run, and runs it once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'trib-join-'));
    // Without metrics, app.send is the dispatch itself (metrics wrap each call to time it).
    const app = await createApp({ engine: 'embedded', dataDir, aggregates: [Account], metrics: false });
    try {
      await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' }, commandId: 'open' });
      const deposit = { type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 5 }, commandId: 'dep' };
      const first = app.send(deposit);
      const retry = app.send(deposit);
      // Joined: the very same promise, not a second run queued behind the first.
      expect(retry).toBe(first);
      // The same commandId sent to another aggregate is that aggregate's command: never joined.
      const elsewhere = app.send({ ...deposit, id: 'a-2' });
      expect(elsewhere).not.toBe(first);
      await elsewhere;
      expect(await retry).toMatchObject({ ok: true, version: 2 });
      // Once settled, a later retry is answered by the host's memory: the same result.
      expect(await app.send(deposit)).toEqual(await first);
      expect(await app.state(Account, 'a-1')).toMatchObject({ version: 2, context: { balance: 5 } });
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
