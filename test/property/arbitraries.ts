/**
 * Arbitraries for command histories over a bounded set of ids: mostly well-formed commands that
 * drive the aggregates through their lifecycles (so that histories reach shipped orders, closed
 * accounts, changed emails), mixed with rejections, invalid payloads, unknown types and
 * aggregates, malformed envelopes, expected versions, re-sends and concurrent groups.
 */
import fc from 'fast-check';
import { StepCommand, type CommandSpec, type Entry, type Mangle, type Step, type StepTarget } from './history.js';
import { PROJECTIONS } from './model/readModels.js';

export const ACCOUNT_IDS = ['a1', 'a2'] as const;
// `customer:c1` once shared its row with customer c1's in OrderSummary (see regressions/readState.ts).
export const ORDER_IDS = ['o1', 'o2', 'o3', 'customer:c1'] as const;
export const CUSTOMER_IDS = ['c1', 'c2'] as const;
/** Customer ids that orders may name but that are never registered (any string is a valid customerId). */
export const STRANGERS = ['c9', 'ç/ü 1'] as const;
/** Every (aggregate, id) a history can create. */
export const ALL_IDS: ReadonlyArray<readonly [string, string]> = [
  ...ACCOUNT_IDS.map((id) => ['Account', id] as const),
  ...ORDER_IDS.map((id) => ['Order', id] as const),
  ...CUSTOMER_IDS.map((id) => ['Customer', id] as const),
];

/** Mostly `good`, sometimes `bad`. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: good, weight: 40 }, { arbitrary: bad, weight: 1 });

// Invalid ids are rare: most commands should reach an aggregate.
const idFrom = (ids: readonly string[]) => fc.oneof({ arbitrary: fc.constantFrom(...ids), weight: 80 }, { arbitrary: fc.constantFrom('a.1', 'o 1', '', 'x>'), weight: 1 });

const owner = mostly(fc.constantFrom('Ada', '  Bob  ', 'Émile Zola'), fc.constantFrom('', '   ', 42, null, 'x'.repeat(201)));
const amount = mostly(fc.integer({ min: 1, max: 300 }), fc.constantFrom(0, -5, 2.5, '10', null, 100_000_000_001));
const emails = ['ada@example.org', 'ADA@Example.org', 'grace@example.com', "o'neil@example.ie"];
const email = mostly(fc.constantFrom(...emails), fc.constantFrom('not-an-email', 'ada@', 'ada@example', ''));
const phone = mostly(fc.constantFrom('+4930123456', '+14155550123'), fc.constantFrom('030123456', '+49 30 123456', '+0123456789'));
const addresses = [
  { street: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
  // The same address once trimmed: a SameAddress rejection after the first.
  { street: ' 1 Main St ', city: 'Berlin ', postalCode: '10115', country: 'DE' },
  { street: '2 Rue Haute', city: 'Paris', postalCode: '75001', country: 'FR' },
];
const address = mostly(
  fc.constantFrom(...addresses),
  fc.constantFrom({ street: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'de' }, { street: '1 Main St', city: '  ', postalCode: '1', country: 'DE' }),
);

// A payload record; sometimes with an extra field (dropped by validation) or a field missing.
function payload(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const full = fc.record(fields);
  const names = Object.keys(fields);
  return fc.oneof(
    { arbitrary: full, weight: 60 },
    { arbitrary: full.map((p) => ({ ...(p as object), note: 'extra' })), weight: 2 },
    ...(names.length > 0
      ? [{ arbitrary: fc.tuple(full, fc.constantFrom(...names)).map(([p, drop]) => Object.fromEntries(Object.entries(p as object).filter(([k]) => k !== drop))), weight: 1 }]
      : []),
    { arbitrary: fc.constantFrom(null, 'payload', [] as unknown[]), weight: 1 },
  );
}

type Template = { aggregate: string; ids: readonly string[]; type: string; payload: fc.Arbitrary<unknown>; weight: number };

const item = payload({
  sku: mostly(fc.constantFrom('TEA-1', ' CUP-2 ', 'POT'), fc.constantFrom('', 7)),
  name: mostly(fc.constantFrom('Green tea', 'Cup', ' Teapot '), fc.constantFrom('  ', null)),
  quantity: mostly(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, 1.5, 10_001)),
  unitPrice: mostly(fc.integer({ min: 0, max: 500 }), fc.constantFrom(-1, 2.5)),
});

const templates: Template[] = [
  { aggregate: 'Account', ids: ACCOUNT_IDS, type: 'OpenAccount', payload: payload({ owner }), weight: 3 },
  { aggregate: 'Account', ids: ACCOUNT_IDS, type: 'Deposit', payload: payload({ amount }), weight: 4 },
  { aggregate: 'Account', ids: ACCOUNT_IDS, type: 'Withdraw', payload: payload({ amount }), weight: 4 },
  { aggregate: 'Account', ids: ACCOUNT_IDS, type: 'CloseAccount', payload: payload({}), weight: 2 },
  {
    aggregate: 'Order',
    ids: ORDER_IDS,
    type: 'CreateOrder',
    payload: payload({ customerId: mostly(fc.constantFrom(...CUSTOMER_IDS, ...CUSTOMER_IDS, ...STRANGERS), fc.constantFrom('', 'c'.repeat(129), 5)) }),
    weight: 4,
  },
  { aggregate: 'Order', ids: ORDER_IDS, type: 'AddItem', payload: item, weight: 6 },
  { aggregate: 'Order', ids: ORDER_IDS, type: 'ShipOrder', payload: payload({}), weight: 3 },
  {
    aggregate: 'Order',
    ids: ORDER_IDS,
    type: 'CancelOrder',
    payload: mostly(fc.constantFrom({}, { reason: 'late' }, { reason: '' }), fc.constantFrom({ reason: 5 }, { reason: 'x'.repeat(501) })),
    weight: 2,
  },
  {
    aggregate: 'Customer',
    ids: CUSTOMER_IDS,
    type: 'RegisterCustomer',
    payload: fc.oneof(
      payload({ name: mostly(fc.constantFrom('Ada Lovelace', '  Grace  '), fc.constantFrom('', 3)), email }),
      payload({ name: fc.constant('Ada Lovelace'), email, phone }),
    ),
    weight: 3,
  },
  { aggregate: 'Customer', ids: CUSTOMER_IDS, type: 'ChangeUserEmail', payload: payload({ email }), weight: 3 },
  { aggregate: 'Customer', ids: CUSTOMER_IDS, type: 'UpdateUserAddress', payload: address, weight: 2 },
  { aggregate: 'Customer', ids: CUSTOMER_IDS, type: 'ChangePhoneNumber', payload: payload({ phone }), weight: 2 },
  // Unknown command types and an unknown aggregate.
  { aggregate: 'Order', ids: ORDER_IDS, type: 'RefundOrder', payload: fc.constant({}), weight: 0.3 },
  { aggregate: 'Invoice', ids: ['i1'], type: 'CreateInvoice', payload: fc.constant({}), weight: 0.3 },
];

const envelope = fc.record(
  {
    cid: fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, { arbitrary: fc.constant(false), weight: 1 }),
    expect: fc.oneof({ arbitrary: fc.constant(undefined), weight: 14 }, { arbitrary: fc.constantFrom('current' as const, 'stale' as const), weight: 2 }),
    correlationId: fc.oneof({ arbitrary: fc.constant(undefined), weight: 10 }, { arbitrary: fc.constant('flow-1'), weight: 1 }),
    mangle: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 150 },
      {
        arbitrary: fc.constantFrom<Mangle>('null', 'string', 'array', 'emptyType', 'noPayload', 'negativeVersion', 'emptyCommandId', 'numericId'),
        weight: 1,
      },
    ),
  },
  { requiredKeys: ['cid'] },
);

function specFor(t: Template, id: fc.Arbitrary<string>): fc.Arbitrary<CommandSpec> {
  return fc.tuple(id, t.payload, envelope).map(([theId, p, env]) => {
    const spec: CommandSpec = {
      aggregate: t.aggregate,
      id: theId,
      type: t.type,
      payload: p,
      cid: env.cid,
      ...(env.expect ? { expect: env.expect } : {}),
      ...(env.correlationId ? { correlationId: env.correlationId } : {}),
      ...(env.mangle ? { mangle: env.mangle } : {}),
    };
    return spec;
  });
}

/** Any command of the domain (valid or not). */
export const commandSpec: fc.Arbitrary<CommandSpec> = fc.oneof(...templates.map((t) => ({ arbitrary: specFor(t, idFrom(t.ids)), weight: Math.round(t.weight * 10) })));

const resend: fc.Arbitrary<Entry> = fc.nat({ max: 40 }).map((n) => ({ resend: n }));

/** A command or, sometimes, a re-send of an earlier one. */
export const entry: fc.Arbitrary<Entry> = fc.oneof({ arbitrary: commandSpec, weight: 9 }, { arbitrary: resend, weight: 1 });

/**
 * Several commands to ONE aggregate instance: their order is the mailbox order, on any engine.
 * With re-sends mixed in (which may address another instance), unless `strict`.
 */
const sameAggregateGroup = (strict: boolean): fc.Arbitrary<Entry[]> =>
  fc.constantFrom(...ALL_IDS).chain(([aggregate, id]) => {
    const own = fc.oneof(
      ...templates.filter((t) => t.aggregate === aggregate).map((t) => ({ arbitrary: specFor(t, fc.constant(id)), weight: Math.round(t.weight * 10) })),
    );
    return fc.array(strict ? own : fc.oneof({ arbitrary: own, weight: 8 }, { arbitrary: resend, weight: 1 }), { minLength: 2, maxLength: 5 });
  });

const mixedGroup: fc.Arbitrary<Entry[]> = fc.array(entry, { minLength: 2, maxLength: 6 });

const template = (aggregate: string, type: string) => templates.find((t) => t.aggregate === aggregate && t.type === type)!;
const on = (id: string, aggregate: string, ...types: string[]) => fc.oneof(...types.map((type) => specFor(template(aggregate, type), fc.constant(id))));

/**
 * A coherent stretch of one instance's life (open, then deposits and withdrawals, then maybe close;
 * create, add items, then ship or cancel; register, then change details), sent one after the other:
 * random single commands alone rarely get an order shipped with items or an account closed.
 */
const lifecycle: fc.Arbitrary<Entry[]> = fc.oneof(
  fc.constantFrom(...ACCOUNT_IDS).chain((id) =>
    fc
      .tuple(on(id, 'Account', 'OpenAccount'), fc.array(on(id, 'Account', 'Deposit', 'Deposit', 'Withdraw'), { maxLength: 4 }), fc.option(on(id, 'Account', 'Withdraw', 'CloseAccount'), { nil: undefined }))
      .map(([open, moves, end]) => [open, ...moves, ...(end ? [end] : [])]),
  ),
  fc.constantFrom(...ORDER_IDS).chain((id) =>
    fc
      .tuple(on(id, 'Order', 'CreateOrder'), fc.array(on(id, 'Order', 'AddItem'), { maxLength: 3 }), fc.option(on(id, 'Order', 'ShipOrder', 'ShipOrder', 'CancelOrder'), { nil: undefined }))
      .map(([create, items, end]) => [create, ...items, ...(end ? [end] : [])]),
  ),
  fc.constantFrom(...CUSTOMER_IDS).chain((id) =>
    fc
      .tuple(on(id, 'Customer', 'RegisterCustomer'), fc.array(on(id, 'Customer', 'ChangeUserEmail', 'UpdateUserAddress', 'ChangePhoneNumber'), { maxLength: 3 }))
      .map(([register, changes]) => [register, ...changes]),
  ),
);

/** Which kinds of steps a property's histories contain. */
export type HistoryShape = {
  /** Concurrent groups may span aggregates (their relative order is then up to the engine, as it is with a re-send of another instance's command). Default true. */
  crossAggregate?: boolean;
  restarts?: boolean;
  settles?: boolean;
  rebuilds?: boolean;
  resumes?: boolean;
  /** The NATS runs may send commands through the NATS command service. Default true. */
  remote?: boolean;
  maxSteps?: number;
};

/** A history of steps as fast-check model-based commands. */
export function history(shape: HistoryShape = {}): fc.Arbitrary<Iterable<fc.AsyncCommand<object, StepTarget>>> {
  const remote = shape.remote === false ? fc.constant(false) : fc.boolean();
  const group = shape.crossAggregate === false ? sameAggregateGroup(true) : fc.oneof(sameAggregateGroup(false), mixedGroup);
  const during = fc.oneof({ arbitrary: fc.constant([] as Entry[]), weight: 1 }, { arbitrary: group, weight: 3 });
  const steps: { arbitrary: fc.Arbitrary<Step>; weight: number }[] = [
    { arbitrary: fc.record({ kind: fc.constant('send' as const), cmd: entry, remote }), weight: 10 },
    { arbitrary: fc.record({ kind: fc.constant('concurrent' as const), cmds: group, remote }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('sequence' as const), cmds: lifecycle, remote }), weight: 8 },
  ];
  if (shape.restarts) {
    steps.push({
      arbitrary: fc.record({
        kind: fc.constant('restart' as const),
        during,
        order: fc.constantFrom('projections-first' as const, 'app-first' as const, 'together' as const),
        ticks: fc.nat({ max: 4 }),
        remote,
      }),
      weight: 2,
    });
  }
  if (shape.settles) steps.push({ arbitrary: fc.constant({ kind: 'settle' as const }), weight: 1 });
  if (shape.rebuilds) {
    steps.push({
      arbitrary: fc.record({ kind: fc.constant('rebuild' as const), projection: fc.constantFrom(...PROJECTIONS), during }),
      weight: 1,
    });
  }
  if (shape.resumes) steps.push({ arbitrary: fc.record({ kind: fc.constant('resume' as const), from: fc.constantFrom('next' as const, 'start' as const) }), weight: 1 });
  return fc.commands(
    steps.map((s) => ({ arbitrary: s.arbitrary.map((step) => new StepCommand(step)), weight: s.weight })).flatMap((s) => Array.from({ length: s.weight }, () => s.arbitrary)),
    { maxCommands: shape.maxSteps ?? 25, size: 'medium' },
  );
}

/** Write-side settings: snapshot intervals per aggregate (none, or every 1..4 events) and the live-actor limit. */
export type WriteConfig = { snapshotEvery: Partial<Record<'Account' | 'Order' | 'Customer', number>>; maxActors: number };

export const writeConfig: fc.Arbitrary<WriteConfig> = fc.record({
  snapshotEvery: fc.record(
    { Account: fc.integer({ min: 1, max: 4 }), Order: fc.integer({ min: 1, max: 4 }), Customer: fc.integer({ min: 1, max: 4 }) },
    { requiredKeys: [] },
  ),
  maxActors: fc.constantFrom(1, 2, 10_000),
});

/** Projection runner settings. */
export type ReadConfig = { maxBatch: number; maxDelay: number; shareReads: boolean };

export const readConfig: fc.Arbitrary<ReadConfig> = fc.record({
  maxBatch: fc.constantFrom(1, 2, 3, 5, 1000),
  maxDelay: fc.constantFrom(0, 0, 2),
  shareReads: fc.boolean(),
});
