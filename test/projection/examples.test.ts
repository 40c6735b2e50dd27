import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventLog, ReadBatchesOptions } from '../../src/eventLog/eventLog.js';
import { createProjections } from '../../src/projection/createProjections.js';
import { exampleProjections } from '../../projections/index.js';
import { openLog, tempDir, T0 } from './support.js';

// A seeded mix of customers, orders and accounts, as the write side would produce them.
async function workload(log: EventLog, seed: number): Promise<number> {
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  let n = 0;
  let last = 0;
  const append = async (aggregate: string, id: string, type: string, data: unknown) => {
    n++;
    last = (await log.append(aggregate, id, [{ type, data }], { commandId: `w-${n}`, timestamp: T0 + n * 3_600_000 })).position;
  };
  const open = new Set<string>();
  for (let c = 0; c < 8; c++) await append('Customer', `c${c}`, 'CustomerRegistered', { name: `Name ${c}`, email: `c${c}@example.org` });
  for (let a = 0; a < 5; a++) await append('Account', `a${a}`, 'AccountOpened', { owner: `c${a}` });
  for (let step = 0; step < 300; step++) {
    const choice = random(10);
    if (choice < 2) {
      const id = `o${step}`;
      await append('Order', id, 'OrderCreated', { customerId: `c${random(10)}` });
      open.add(id);
    } else if (choice < 5 && open.size > 0) {
      const id = [...open][random(open.size)]!;
      await append('Order', id, 'ItemAdded', { sku: `s${random(5)}`, name: `Product ${random(5)}`, quantity: 1 + random(3), unitPrice: 100 * (1 + random(9)) });
    } else if (choice < 6 && open.size > 0) {
      const id = [...open][random(open.size)]!;
      open.delete(id);
      await append('Order', id, random(4) === 0 ? 'OrderCancelled' : 'OrderShipped', {});
    } else if (choice < 7) {
      const c = random(8);
      await append('Customer', `c${c}`, 'UserEmailChanged', { email: `c${c}.${step}@example.org` });
    } else {
      await append('Account', `a${random(5)}`, random(3) === 0 ? 'Withdrawn' : 'Deposited', { amount: 1 + random(1000) });
    }
  }
  return last;
}

describe('example projections together', () => {
  let dir: { dir: string; cleanup: () => void };
  let log: EventLog;
  beforeEach(async () => {
    dir = tempDir();
    log = await openLog(dir.dir);
  });
  afterEach(async () => {
    await log.close();
    dir.cleanup();
  });

  it('give the same views whatever the batch boundaries, live or rebuilt, and share one read of the log', async () => {
    let readers = 0;
    const counted: EventLog = {
      ...log,
      readBatches: (options?: ReadBatchesOptions) => {
        readers++;
        return log.readBatches(options);
      },
    };
    const tiny = await createProjections({ log: counted, path: path.join(dir.dir, 'tiny'), projections: exampleProjections, maxBatch: 3 });
    tiny.start();
    // Follow the workload live, in batches of at most 3 commits.
    const last = await workload(log, 7);
    await Promise.all(exampleProjections.map((p) => tiny.get(p).waitFor(last)));
    expect(readers).toBe(1);

    const big = await createProjections({ log, path: path.join(dir.dir, 'big'), projections: exampleProjections, maxBatch: 1000 });
    big.start();
    await Promise.all(exampleProjections.map((p) => big.get(p).waitFor(last)));
    for (const p of exampleProjections) {
      const live = await tiny.get(p).entries();
      expect(live.length).toBeGreaterThan(0);
      expect(await big.get(p).entries()).toEqual(live);
      await tiny.get(p).rebuild();
      expect(await tiny.get(p).entries()).toEqual(live);
    }
    await tiny.close();
    await big.close();
  });
});
