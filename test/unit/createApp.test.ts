import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { ConfigError, NotFoundError, ValidationError, createApp, type AppOptions } from '../../src/index.js';
import { openApp, tempDir } from './aggregate/support.js';

describe('createApp', () => {
  it('keeps the event log in <dataDir>/log', async () => {
    const dataDir = tempDir();
    const app = await openApp(dataDir);
    expect(app.log.engine).toBe('embedded');
    await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    expect(fs.existsSync(path.join(dataDir, 'log'))).toBe(true);
  });

  it.each<[string, Partial<AppOptions> | Record<string, unknown>, RegExp]>([
    ['an unknown engine', { engine: 'postgres' }, /unknown engine "postgres"/],
    ['no dataDir', { dataDir: '' }, /the embedded engine needs `dataDir`/],
    ['aggregates that are not an array', { aggregates: Account }, /`aggregates` must be an array/],
    ['the same aggregate twice', { aggregates: [Account, Account] }, /aggregate Account is registered twice/],
    ['a zero maxActors', { maxActors: 0 }, /maxActors must be an integer >= 1/],
    ['an unknown durability', { durability: 'fsync' }, /durability must be 'committed' or 'flushed', got "fsync"/],
  ])('refuses %s with ConfigError', async (_what, override, message) => {
    const options = { engine: 'embedded', dataDir: tempDir(), aggregates: [Account], ...override } as AppOptions;
    await expect(createApp(options)).rejects.toThrow(ConfigError);
    await expect(createApp(options)).rejects.toThrow(message);
  });

  it('reads state: undefined before any event, typed by the definition, with clear errors', async () => {
    const app = await openApp();
    expect(await app.state(Account, 'a-1')).toBeUndefined();
    await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    const state = await app.state(Account, 'a-1');
    expect(state).toEqual({ value: 'open', context: { owner: 'Ada', balance: 0 }, version: 1 });
    await expect(app.state('Acount', 'a-1')).rejects.toThrow(NotFoundError);
    await expect(app.state('Account', 'a.1')).rejects.toThrow(ValidationError);
  });

  it('defaults correlationId to the commandId and uses the commandId as causationId', async () => {
    const app = await openApp();
    const plain = await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
    expect(plain.ok && plain.events[0]).toMatchObject({ correlationId: expect.any(String) });
    if (plain.ok) expect(plain.events[0]!.correlationId).toBe(plain.events[0]!.commandId);
    const correlated = await app.send({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 1 }, commandId: 'd-1', correlationId: 'saga-7' });
    expect(correlated.ok && correlated.events[0]).toMatchObject({ commandId: 'd-1', correlationId: 'saga-7', causationId: 'd-1' });
  });

  it('closes idempotently', async () => {
    const app = await createApp({ engine: 'embedded', dataDir: tempDir(), aggregates: [Account] });
    await Promise.all([app.close(), app.close()]);
    await app.close();
    expect(await app.send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } })).toMatchObject({
      ok: false,
      error: { code: 'closed' },
    });
  });
});
