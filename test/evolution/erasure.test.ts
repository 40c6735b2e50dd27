import fs from 'node:fs';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { Customer, Order } from '../../actors/index.js';
import { CustomerOrders, OrderSummary, customerKey } from '../../projections/index.js';
import { CodecError, type App } from '../../src/index.js';
import { sharedNatsUrl } from '../support/sharedNats.js';
import { appHarness, ENGINES, ok, type AppHarness } from './appHarness.js';

const ADA = ['Ada Lovelace', 'ada@example.org', '+4930123456', '12 Mill Way', 'Leeds', 'LS1 4AP'];
const GRACE = { name: 'Grace Hopper', email: 'grace@example.org' };

async function seed(app: App) {
  await ok(app, { type: 'RegisterCustomer', aggregate: 'Customer', id: 'c-1', payload: { name: ADA[0]!, email: ADA[1]!, phone: ADA[2]! } });
  await ok(app, { type: 'UpdateUserAddress', aggregate: 'Customer', id: 'c-1', payload: { street: ADA[3]!, city: ADA[4]!, postalCode: ADA[5]!, country: 'GB' } });
  await ok(app, { type: 'ChangeUserEmail', aggregate: 'Customer', id: 'c-1', payload: { email: 'countess@example.org' } });
  await ok(app, { type: 'RegisterCustomer', aggregate: 'Customer', id: 'c-2', payload: GRACE });
  await ok(app, { type: 'CreateOrder', aggregate: 'Order', id: 'o-1', payload: { customerId: 'c-1' } });
  const last = await ok(app, { type: 'CreateOrder', aggregate: 'Order', id: 'o-2', payload: { customerId: 'c-2' } });
  await Promise.all([OrderSummary, CustomerOrders].map((p) => app.projection(p).waitFor(last.position)));
}

// Every stored byte of the log: the LMDB files, or every message body of the stream.
async function rawLogBytes(h: AppHarness): Promise<Buffer> {
  if (h.engine === 'embedded') {
    const dir = path.join(h.dataDir, 'log');
    return Buffer.concat(fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f))));
  }
  const nc = await connect({ servers: sharedNatsUrl() });
  try {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(h.stream);
    const bodies: Uint8Array[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage(h.stream, { seq });
      if (msg !== null) bodies.push(msg.data);
    }
    expect(bodies.length).toBeGreaterThan(0);
    return Buffer.concat(bodies);
  } finally {
    await nc.close();
  }
}

const views = async (app: App) => ({
  summary: await app.projection(OrderSummary).entries(),
  customers: await app.projection(CustomerOrders).entries(),
});

describe.each(ENGINES)('personal data and forget (%s)', (engine) => {
  let h: AppHarness;
  afterEach(() => h.cleanup());

  it('the raw log holds no plaintext personal data; after forget every reader sees null, and a rebuild agrees', async () => {
    h = appHarness(engine);
    const app = await h.open([Customer, Order], [OrderSummary, CustomerOrders]);
    await seed(app);
    // The readers see the plaintext...
    expect((await app.state(Customer, 'c-1'))?.context).toMatchObject({ name: ADA[0], email: 'countess@example.org', phone: ADA[2] });
    expect(await app.projection(OrderSummary).get('o-1')).toMatchObject({ customerName: ADA[0], customerEmail: 'countess@example.org' });
    // ...which the log never stored: the probe is there in the clear, the personal fields are not.
    const raw = await rawLogBytes(h);
    expect(raw.includes('RegisterCustomer') || raw.includes('CustomerRegistered')).toBe(true);
    for (const secret of [...ADA, 'countess@example.org', GRACE.name, GRACE.email]) expect(raw.includes(secret), secret).toBe(false);

    await app.forget('c-1');
    await app.forget(['c-1']); // idempotent; a list of subjects shares one rebuild
    const stream = await app.log.readStream('Customer', 'c-1');
    expect(stream.map((e) => [e.type, e.erased])).toEqual([
      ['CustomerRegistered', ['name', 'email', 'phone']],
      ['UserAddressUpdated', ['street', 'city', 'postalCode', 'country']],
      ['UserEmailChanged', ['email', 'previousEmail']],
    ]);
    expect(stream[0]!.data).toEqual({ name: null, email: null, phone: null });
    expect((await app.state(Customer, 'c-1'))?.context).toEqual({ name: null, email: null, phone: null, address: { street: null, city: null, postalCode: null, country: null } });
    const after = await views(app);
    expect(after.summary.find((e) => e.key === customerKey('c-1'))?.value).toMatchObject({ name: null, email: null });
    expect(after.summary.find((e) => e.key === 'o-1')?.value).toMatchObject({ customerName: null, customerEmail: null });
    expect(after.customers.find((e) => e.key === 'c-1')?.value).toMatchObject({ name: null, email: null, orderCount: 1 });
    // Other subjects are untouched.
    expect(after.summary.find((e) => e.key === 'o-2')?.value).toMatchObject({ customerName: GRACE.name, customerEmail: GRACE.email });
    expect((await app.state(Customer, 'c-2'))?.context).toMatchObject(GRACE);
    // A rebuild after erasure equals the live view after erasure, and so does a fresh process.
    await app.projection(OrderSummary).rebuild();
    await app.projection(CustomerOrders).rebuild();
    expect(await views(app)).toEqual(after);
    await app.close();
    const again = await h.open([Customer, Order], [OrderSummary, CustomerOrders]);
    expect(await views(again)).toEqual(after);

    // The forgotten customer can go on (the domain allows it): a new key seals the new data.
    const changed = await ok(again, { type: 'ChangeUserEmail', aggregate: 'Customer', id: 'c-1', payload: { email: 'new@example.org' } });
    expect(changed.events[0]!.data).toEqual({ email: 'new@example.org', previousEmail: null });
    await again.projection(CustomerOrders).waitFor(changed.position);
    expect(await again.projection(CustomerOrders).get('c-1')).toMatchObject({ name: null, email: 'new@example.org' });
    expect((await again.log.readStream('Customer', 'c-1')).map((e) => e.erased)).toEqual([
      ['name', 'email', 'phone'],
      ['street', 'city', 'postalCode', 'country'],
      ['email', 'previousEmail'],
      undefined,
    ]);
    expect((await rawLogBytes(h)).includes('new@example.org')).toBe(false);
  });

  it('a corrupt ciphertext is a clear error that stops only the projections reading it; the app keeps serving', async () => {
    h = appHarness(engine);
    const app = await h.open([Customer, Order], [OrderSummary, CustomerOrders]);
    await seed(app);
    await app.close();
    // Tamper with a stored box: one flipped byte in a copy of c-2's sealed event, appended as a new commit.
    const raw = await h.openRaw();
    const [registered] = await raw.readStream('Customer', 'c-2');
    const box = Uint8Array.from(registered!.sealed!.box);
    box[box.length - 1]! ^= 0xff;
    const bad = await raw.append('Customer', 'c-2', [{ type: 'UserEmailChanged', data: {}, sealed: { ...registered!.sealed!, box } }], { commandId: 'tampered' });
    await raw.close();

    const again = await h.open([Customer, Order], [OrderSummary, CustomerOrders]);
    const error = await again.log.readStream('Customer', 'c-2').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).message).toContain(`stored event UserEmailChanged v1 (Customer/c-2) at position ${bad.position}: its sealed personal fields do not open`);
    for (const p of [OrderSummary, CustomerOrders]) {
      await expect.poll(async () => (await again.projection(p).status()).state).toBe('failed');
      expect((await again.projection(p).status()).error?.message).toContain('do not open with the subject');
    }
    // The rest of the app works: c-1 is served and readable.
    await ok(again, { type: 'ChangePhoneNumber', aggregate: 'Customer', id: 'c-1', payload: { phone: '+4930999999' } });
    expect((await again.state(Customer, 'c-1'))?.context.phone).toBe('+4930999999');
  });
});
