import { afterEach, describe, expect, it } from 'vitest';
import { Customer } from '../../actors/index.js';
import { appHarness, ENGINES, type AppHarness } from './appHarness.js';

// The Customer of "v1 code": no personal fields yet, and the address as one line.
describe.each(ENGINES)('Customer: a v1 log (plaintext, one-line address) read by today\'s code (%s)', (engine) => {
  let h: AppHarness;
  afterEach(() => h.cleanup());

  it('rehydrates the structured address; new events are sealed and at version 2', async () => {
    h = appHarness(engine);
    const raw = await h.openRaw();
    await raw.append('Customer', 'c-1', [{ type: 'CustomerRegistered', data: { name: 'Ada', email: 'ada@example.org' } }], { commandId: 'v1-1', expectedVersion: 0 });
    await raw.append('Customer', 'c-1', [{ type: 'UserAddressUpdated', data: { address: '12 Mill Way, LS1 4AP, Leeds, GB' } }], { commandId: 'v1-2', expectedVersion: 1 });
    await raw.close();

    const app = await h.open([Customer]);
    expect((await app.state(Customer, 'c-1'))?.context).toEqual({
      name: 'Ada',
      email: 'ada@example.org',
      phone: null,
      address: { street: '12 Mill Way', city: 'Leeds', postalCode: 'LS1 4AP', country: 'GB' },
    });
    const moved = { street: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' };
    const r = await app.send({ type: 'UpdateUserAddress', aggregate: 'Customer', id: 'c-1', payload: moved });
    expect(r.ok && r.events[0]).toMatchObject({ type: 'UserAddressUpdated', schemaVersion: 2, data: moved });
    await app.close();
    const stored = await (async () => {
      const log = await h.openRaw();
      try {
        return await log.readStream('Customer', 'c-1');
      } finally {
        await log.close();
      }
    })();
    expect(stored[2]).toMatchObject({ schemaVersion: 2, data: {}, sealed: { subject: 'c-1', fields: ['street', 'city', 'postalCode', 'country'] } });
    // Old plaintext stays what it was: forget only erases what was sealed (see "Personal data").
    expect(stored[0]!.sealed).toBeUndefined();
  });
});
