import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { AccountBalance, type AccountBalanceRow } from '../../projections/index.js';
import { ConfigError, NotFoundError, createApp, type App } from '../../src/index.js';

const dirs: string[] = [];
const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-'));
  dirs.push(dir);
  return dir;
}

async function open(dataDir: string): Promise<App> {
  const app = await createApp({ engine: 'embedded', dataDir, aggregates: [Account], projections: [AccountBalance], projectionOptions: { maxBatch: 50 } });
  apps.push(app);
  return app;
}

describe('createApp with projections', () => {
  it('runs them over the log, views in <dataDir>/views: send, then read your write', async () => {
    const dataDir = tempDir();
    const app = await open(dataDir);
    expect(app.projections.names).toEqual(['AccountBalance']);
    const opened = await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    expect(opened.ok).toBe(true);
    for (let i = 1; i <= 30; i++) {
      const r = await app.send({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 5 } });
      if (!r.ok) throw new Error(r.error.message);
      const row: AccountBalanceRow | undefined = await app.projection(AccountBalance).get('a-1', { minPosition: r.position });
      expect(row?.balance).toBe(5 * i);
    }
    expect(app.projection('AccountBalance')).toBe(app.projection(AccountBalance));
    expect(() => app.projection('Nope')).toThrow(NotFoundError);
    expect(fs.existsSync(path.join(dataDir, 'views', 'data.mdb'))).toBe(true);
  });

  it('one process per views directory; after close the next app resumes from the checkpoint', async () => {
    const dataDir = tempDir();
    const first = await open(dataDir);
    const r = await first.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    if (!r.ok) throw new Error(r.error.message);
    await first.projection(AccountBalance).waitFor(r.position);
    await expect(open(dataDir)).rejects.toThrow(ConfigError);
    await expect(open(dataDir)).rejects.toThrow(/already open in this process/);
    await first.close();
    const again = await open(dataDir);
    expect(await again.projection(AccountBalance).status()).toMatchObject({ position: r.position, state: 'running' });
    expect((await again.projection(AccountBalance).get('a-1'))?.owner).toBe('Ada');
  });

  it('takes over the lock of a process that is gone, refuses a live one', async () => {
    const dataDir = tempDir();
    const lock = path.join(dataDir, 'views', 'writer.lock');
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, String(2 ** 22 + 12345));
    const app = await open(dataDir);
    expect(fs.readFileSync(lock, 'utf8')).toBe(String(process.pid));
    await app.close();
    expect(fs.existsSync(lock)).toBe(false);
    fs.writeFileSync(lock, String(process.ppid));
    await expect(open(dataDir)).rejects.toThrow(`the views in ${path.join(dataDir, 'views')} are being projected by process ${process.ppid}`);
  });

  it('without projections: none, and a clear error; projections on NATS need a dataDir', async () => {
    const app = await createApp({ engine: 'embedded', dataDir: tempDir(), aggregates: [Account] });
    apps.push(app);
    expect(app.projections.names).toEqual([]);
    expect(await app.projections.statuses()).toEqual([]);
    expect(() => app.projection(AccountBalance)).toThrow(/the app runs no projection named "AccountBalance"/);
    await expect(createApp({ engine: 'nats', servers: 'nats://127.0.0.1:1', aggregates: [Account], projections: [AccountBalance], connectTimeout: 200 })).rejects.toThrow(
      new ConfigError('projections need `dataDir`: their views live in <dataDir>/views'),
    );
  });
});
