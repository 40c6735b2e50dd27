import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate, defineProjection, type AggregateTypes, type EventVersioning } from '../../src/index.js';

// Two generations of one aggregate, as the code of a year ago and of today would define it.
// v1: `OwnerRegistered { owner }`, `Deposited { amount }` (cents, a number).
// v2: the type renamed to `LedgerOpened { holder: { name } }`, `Deposited { amount: { cents, currency } }`.

const v1Commands = { Open: z.object({ owner: z.string() }), Deposit: z.object({ amount: z.number().int() }) };
const v1Events = { OwnerRegistered: z.object({ owner: z.string() }), Deposited: z.object({ amount: z.number().int() }) };

const v1Machine = setup({ types: {} as AggregateTypes<typeof v1Commands, typeof v1Events, { owner: string; total: number }> }).createMachine({
  id: 'Ledger',
  context: { owner: '', total: 0 },
  on: {
    Open: { actions: emit(({ event }) => ({ type: 'OwnerRegistered', data: { owner: event.payload.owner } })) },
    Deposit: { actions: emit(({ event }) => ({ type: 'Deposited', data: { amount: event.payload.amount } })) },
    OwnerRegistered: { actions: assign({ owner: ({ event }) => event.data.owner }) },
    Deposited: { actions: assign({ total: ({ context, event }) => context.total + event.data.amount }) },
  },
});

/** The Ledger of "v1 code", with snapshots every 2 events (their state shape is v1's). */
export const LedgerV1 = defineAggregate({ name: 'Ledger', machine: v1Machine, commands: v1Commands, events: v1Events, snapshotEvery: 2 });

const money = z.object({ cents: z.number().int(), currency: z.string().length(3) });
const v2Commands = { Open: z.object({ holder: z.string() }), Deposit: z.object({ cents: z.number().int(), currency: z.string().length(3) }) };
const v2Events = { LedgerOpened: z.object({ holder: z.object({ name: z.string().min(1) }) }), Deposited: z.object({ amount: money }) };

type V2Context = { holder: string; totals: Record<string, number> };
const v2Machine = setup({ types: {} as AggregateTypes<typeof v2Commands, typeof v2Events, V2Context> }).createMachine({
  id: 'Ledger',
  context: { holder: '', totals: {} },
  on: {
    Open: { actions: emit(({ event }) => ({ type: 'LedgerOpened', data: { holder: { name: event.payload.holder } } })) },
    Deposit: { actions: emit(({ event }) => ({ type: 'Deposited', data: { amount: { cents: event.payload.cents, currency: event.payload.currency } } })) },
    LedgerOpened: { actions: assign({ holder: ({ event }) => event.data.holder.name }) },
    Deposited: {
      actions: assign({
        totals: ({ context, event }) => ({ ...context.totals, [event.data.amount.currency]: (context.totals[event.data.amount.currency] ?? 0) + event.data.amount.cents }),
      }),
    },
  },
});

/** The upcasters of today's code: v1 amounts were euro cents. */
export const ledgerVersions = {
  LedgerOpened: {
    version: 2,
    formerly: ['OwnerRegistered'],
    upcasters: { 1: { example: { owner: 'Ada' }, upcast: (d: { owner: string }) => ({ holder: { name: d.owner } }) } },
  },
  Deposited: {
    version: 2,
    upcasters: { 1: { example: { amount: 250 }, upcast: (d: { amount: number }) => ({ amount: { cents: d.amount, currency: 'EUR' } }) } },
  },
} satisfies Record<string, EventVersioning>;

/** The Ledger of "v2 code". */
export const LedgerV2 = defineAggregate({ name: 'Ledger', machine: v2Machine, commands: v2Commands, events: v2Events, versions: ledgerVersions, snapshotEvery: 2 });

export type LedgerRow = { holder: string; deposits: number; cents: Record<string, number> };

/** A projection written for v2 events only. */
export const LedgerTotals = defineProjection<LedgerRow, { LedgerOpened: { holder: { name: string } }; Deposited: { amount: { cents: number; currency: string } } }>({
  name: 'LedgerTotals',
  from: ['Ledger'],
  handlers: {
    LedgerOpened: (view, event, envelope) => view.put(envelope.id, { holder: event.data.holder.name, deposits: 0, cents: {} }),
    Deposited: (view, event, envelope) =>
      view.update(envelope.id, (row) => {
        const r = row ?? { holder: '', deposits: 0, cents: {} };
        const { cents, currency } = event.data.amount;
        return { ...r, deposits: r.deposits + 1, cents: { ...r.cents, [currency]: (r.cents[currency] ?? 0) + cents } };
      }),
  },
});
