import { afterEach, describe, expect, it } from 'vitest';
import { CodecError } from '../../src/index.js';
import { appHarness, ENGINES, ok, type AppHarness } from './appHarness.js';
import { LedgerTotals, LedgerV1, LedgerV2 } from './ledger.js';

describe.each(ENGINES)('an event that cannot become a current one is a poison event (%s)', (engine) => {
  let h: AppHarness;
  afterEach(() => h.cleanup());

  it('rehydration and readStream fail with an error naming type, version, position and the issue; projections stop on it', async () => {
    h = appHarness(engine);
    const v1 = await h.open([LedgerV1]);
    await ok(v1, { type: 'Open', aggregate: 'Ledger', id: 'good', payload: { owner: 'Ada' } });
    // v1 accepted an empty owner; v2's schema does not.
    const bad = await ok(v1, { type: 'Open', aggregate: 'Ledger', id: 'bad', payload: { owner: '' } });
    await ok(v1, { type: 'Deposit', aggregate: 'Ledger', id: 'good', payload: { amount: 5 } });
    await v1.close();

    const v2 = await h.open([LedgerV2], [LedgerTotals]);
    const error = await v2.log.readStream('Ledger', 'bad').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).message).toMatch(new RegExp(`stored event OwnerRegistered v1 \\(Ledger/bad\\) at position ${bad.position}: upcast to LedgerOpened v2, it fails the schema: holder.name`));
    expect((error as CodecError).details).toMatchObject({ type: 'OwnerRegistered', currentType: 'LedgerOpened', schemaVersion: 1, position: bad.position });
    const sent = await v2.send({ type: 'Deposit', aggregate: 'Ledger', id: 'bad', payload: { cents: 1, currency: 'EUR' } });
    expect(sent.ok).toBe(false);
    if (!sent.ok) expect(sent.error).toMatchObject({ code: 'bad_encoding', details: { position: bad.position } });
    // The good aggregate is untouched.
    expect((await v2.state(LedgerV2, 'good'))?.context).toEqual({ holder: 'Ada', totals: { EUR: 5 } });

    // The projection stops at the poison event, having applied what came before it; never skipped silently.
    const projection = v2.projection(LedgerTotals);
    await expect.poll(async () => (await projection.status()).state).toBe('failed');
    const status = await projection.status();
    expect(status.position).toBe(bad.position - 1);
    expect(status.error?.message).toMatch(/LedgerOpened \(Ledger\/bad\) at position \d+: stored event OwnerRegistered v1/);
    // skip() records it and goes on.
    await projection.skip();
    await projection.waitFor(await v2.log.headPosition());
    expect(await projection.get('good')).toEqual({ holder: 'Ada', deposits: 1, cents: { EUR: 5 } });
    expect(await projection.get('bad')).toBeUndefined();
  });

  it('an event stored at a version newer than the code', async () => {
    h = appHarness(engine);
    // Written by code that knows no versions of Ledger, so the version is stored as given.
    const newer = await h.open([LedgerV1]);
    const r = await newer.log.append('Ledger', 'n-1', [{ type: 'Deposited', data: { amount: { cents: 1, currency: 'EUR' } }, schemaVersion: 3 }], { commandId: 'future' });
    await newer.close();
    const v2 = await h.open([LedgerV2]);
    await expect(v2.log.readStream('Ledger', 'n-1')).rejects.toThrow(`stored event Deposited v3 (Ledger/n-1) at position ${r.position}: this code knows Deposited only up to version 2`);
  });
});
