import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Account } from '../../actors/index.js';
import { createEventCatalog } from '../../src/evolution/eventCatalog.js';
import { createEvolvingLog } from '../../src/evolution/evolvingLog.js';
import { runWindowed } from '../../src/testing/runWindowed.js';
import { createLmdbEventLog, defineAggregate, type DomainEvent, type EventVersioning } from '../../src/index.js';
import { benchLogger as logger } from '../support/benchLogger.js';
import type { AccountEvents } from '../support/accountEvents.js';
import type { Report } from '../support/report.js';
import type { W1 } from '../support/w1.js';
import { runFramework, type FrameworkRun } from './embedded.js';
import { frameworkCatchUp } from './projections.js';

// Account's money events at a version 2 that adds a currency; v1 (no currency) reads as euros.
const money = z.object({ amount: z.number().int(), currency: z.string().length(3) });
const toV2 = { 1: { example: { amount: 1 }, upcast: (d: { amount: number }) => ({ amount: d.amount, currency: 'EUR' }) } };
const versions = { Deposited: { version: 2, upcasters: toV2 }, Withdrawn: { version: 2, upcasters: toV2 } } satisfies Record<string, EventVersioning>;
const catalog = createEventCatalog([{ name: 'Account', events: { ...Account.events, Deposited: money, Withdrawn: money }, versions }]);

function asStored(e: DomainEvent, v1: boolean): DomainEvent {
  if (v1 || e.type === 'AccountOpened') return e;
  return { type: e.type, data: { ...(e.data as object), currency: 'EUR' }, schemaVersion: 2 };
}

type CatchUp = { seconds: number; ok: boolean };

// A log of the same events, every other one stored as v1 (`halfV1`) or all as v2, prefilled
// through `log.append`; `catchUp` then times the framework's catch-up of AccountBalance and Totals
// through the upcasting read path (fresh views each time).
async function openLog(events: AccountEvents, halfV1: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'trib-bench-upcast-'));
  const log = await createLmdbEventLog({ path: join(dir, 'log'), logger });
  const indexes = Array.from({ length: events.count }, (_, i) => i);
  await runWindowed(indexes, 10_000, (i) => {
    const r = events.record(i);
    const stored = r.events.map((e) => asStored(e, halfV1 && i % 2 === 0));
    return log.append('Account', r.id, stored, { expectedVersion: r.version - 1, commandId: r.commandId, timestamp: r.timestamp });
  });
  const evolving = createEvolvingLog({ log, catalog });
  return {
    catchUp: (batch: number): Promise<CatchUp> => frameworkCatchUp(evolving, events, batch),
    async close() {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Rows of `-- projections`: the catch-up rate of a log half of whose events are v1 (upcast on
 * read, then checked against the v2 schema), against the same log all in v2. Both logs are
 * prefilled first, then caught up alternately (v2, half, half, v2, v2, half: neither side always
 * runs first or last), and each side's best of its three runs is compared. Target: ratio ≥ 0.8.
 *
 * @example
 * ```ts
 * await upcastRows(report, createAccountEvents({ accounts: 10_000, count: 1_000_000 }), 5000);
 * ```
 */
export async function upcastRows(report: Report, events: AccountEvents, batch: number): Promise<void> {
  const v2Log = await openLog(events, false);
  try {
    const halfLog = await openLog(events, true);
    try {
      // v2, half, half, v2, v2, half: each side's runs sit as early and as late as the other's.
      const order = [v2Log, halfLog, halfLog, v2Log, v2Log, halfLog];
      const rows: Array<[string, CatchUp]> = [];
      for (const log of order) rows.push([log === v2Log ? 'all v2' : 'half v1', await log.catchUp(batch)]);
      const n = events.count;
      const suite = 'projections';
      const best = (label: string) => Math.min(...rows.filter(([l]) => l === label).map(([, r]) => r.seconds));
      rows.forEach(([label, r], i) =>
        report.add({ suite, metric: `embedded catch-up, ${label} events/s (run ${i + 1} of v2, half, half, v2, v2, half)`, value: n / r.seconds, unit: 'events/s', ok: r.ok }),
      );
      report.add({
        suite,
        metric: `embedded catch-up, half v1 (upcast) events/s vs all v2`,
        value: n / best('half v1'),
        unit: 'events/s',
        baseline: n / best('all v2'),
        ok: rows.every(([, r]) => r.ok),
      });
    } finally {
      await halfLog.close();
    }
  } finally {
    await v2Log.close();
  }
}

// The same machine with the amount of every money event marked personal: each timed command
// then seals one field with its account's key (cached after the first use).
const self = ({ id }: { id: string }) => id;
const SealedAccount = defineAggregate({
  name: 'Account',
  machine: Account.machine,
  commands: Account.commands,
  events: Account.events,
  personal: {
    AccountOpened: { subject: self, fields: ['owner'] },
    Deposited: { subject: self, fields: ['amount'] },
    Withdrawn: { subject: self, fields: ['amount'] },
  },
});

/**
 * Rows of `-- embedded`: W1's accepted commits per second with a personal field sealed in every
 * event (AES-256-GCM, per-account key), against the same workload without. Each side runs twice,
 * plain (the suite's own run before), sealed, sealed, plain, and each side's better run is
 * compared. Target: ratio ≥ 0.8.
 *
 * @example
 * ```ts
 * await encryptionRows(report, w1, 2000, await runFramework(w1, 2000));
 * ```
 */
export async function encryptionRows(report: Report, w1: W1, window: number, plainBefore: FrameworkRun): Promise<void> {
  const sealedA = await runFramework(w1, window, SealedAccount);
  const sealedB = await runFramework(w1, window, SealedAccount);
  const plainAfter = await runFramework(w1, window);
  const rate = (r: FrameworkRun) => (r.outcome.accepted - w1.open.length) / r.seconds;
  report.add({
    suite: 'embedded',
    metric: `W1 accepted commits/s, personal field sealed vs plain`,
    value: Math.max(rate(sealedA), rate(sealedB)),
    unit: 'commits/s',
    baseline: Math.max(rate(plainBefore), rate(plainAfter)),
    ok: sealedA.ok && sealedB.ok && plainBefore.ok && plainAfter.ok,
  });
}
