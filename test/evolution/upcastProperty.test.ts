/**
 * Property: for generated histories, a log written partly by v1 code (each event v1 or v2 at
 * random) and read through the upcasters projects to the same view, and reads back the same
 * streams, as the same history written directly as v2 events; on both engines.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import type { DomainEvent, EventLog } from '../../src/index.js';
import { createEventCatalog } from '../../src/evolution/eventCatalog.js';
import { createEvolvingLog } from '../../src/evolution/evolvingLog.js';
import { createLmdbEventLog } from '../../src/eventLog/lmdb/createLmdbEventLog.js';
import { createNatsEventLog } from '../../src/eventLog/nats/createNatsEventLog.js';
import { createProjections } from '../../src/projection/createProjections.js';
import { numRuns } from '../property/support/fcSettings.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';
import { ENGINES, type TestEngine } from './appHarness.js';
import { LedgerTotals, LedgerV2 } from './ledger.js';

type Step = { readonly ledger: number; readonly v1: boolean } & ({ readonly kind: 'open'; readonly name: string } | { readonly kind: 'deposit'; readonly cents: number });

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ ledger: fc.nat(3), v1: fc.boolean(), kind: fc.constant('open' as const), name: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ ledger: fc.nat(3), v1: fc.boolean(), kind: fc.constant('deposit' as const), cents: fc.integer({ min: -1000, max: 100_000 }) }),
);

function stored(s: Step, asV1: boolean): DomainEvent {
  if (s.kind === 'open') return asV1 ? { type: 'OwnerRegistered', data: { owner: s.name } } : { type: 'LedgerOpened', data: { holder: { name: s.name } }, schemaVersion: 2 };
  return asV1 ? { type: 'Deposited', data: { amount: s.cents } } : { type: 'Deposited', data: { amount: { cents: s.cents, currency: 'EUR' } }, schemaVersion: 2 };
}

type Place = { open(): Promise<EventLog>; views: string; drop(): Promise<void> };

function place(engine: TestEngine): Place {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-upc-'));
  const stream = uniqueName('UPC');
  return {
    open: () =>
      engine === 'embedded'
        ? createLmdbEventLog({ path: path.join(dir, 'log') })
        : createNatsEventLog({ servers: sharedNatsUrl(), stream, prefix: stream.toLowerCase() }),
    views: path.join(dir, 'views'),
    async drop() {
      fs.rmSync(dir, { recursive: true, force: true });
      if (engine !== 'nats') return;
      const nc = await connect({ servers: sharedNatsUrl() });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    },
  };
}

const catalog = createEventCatalog([LedgerV2]);

// Writes the history, then reads it as v2 code: the view of LedgerTotals and every stream.
async function readAsV2(engine: TestEngine, steps: readonly Step[], mixed: boolean) {
  const where = place(engine);
  const raw = await where.open();
  try {
    for (const [i, s] of steps.entries()) await raw.append('Ledger', `l-${s.ledger}`, [stored(s, mixed && s.v1)], { commandId: `c-${i}` });
    const log = createEvolvingLog({ log: raw, catalog });
    const projections = await createProjections({ log, path: where.views, projections: [LedgerTotals], maxBatch: 7 });
    try {
      projections.start();
      await projections.get(LedgerTotals).waitFor(await log.headPosition());
      const view = await projections.get(LedgerTotals).entries();
      const streams = await Promise.all([0, 1, 2, 3].map(async (l) => (await log.readStream('Ledger', `l-${l}`)).map((e) => [e.type, e.schemaVersion, e.data])));
      return { view, streams };
    } finally {
      await projections.close();
    }
  } finally {
    await raw.close();
    await where.drop();
  }
}

describe.each(ENGINES)('upcasting v1, then projecting, equals projecting v2 (%s)', (engine) => {
  const runs = numRuns(engine === 'embedded' ? 20 : 10);
  it(`holds for ${runs} generated histories`, { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const upcast = await readAsV2(engine, steps, true);
        const direct = await readAsV2(engine, steps, false);
        expect(upcast).toEqual(direct);
        // Not vacuous: the view has a row per ledger the history touched.
        expect(upcast.view.length).toBe(new Set(steps.map((s) => s.ledger)).size);
      }),
      { numRuns: runs },
    );
  });
});
