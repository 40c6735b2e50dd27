/**
 * The reference model of the example domain (orders, customers, accounts): plain data and plain
 * functions, written from the domain's rules and the framework's documented contract, never from
 * the XState machines or the projection handlers (it imports neither, so it can disagree with
 * them).
 *
 * The model decides WHAT happens to each command: accepted with which events, rejected with which
 * reason, refused with which error code, or answered as a re-send. The system under test reports
 * WHERE and WHEN (the commit's position and timestamp); the harness checks those for consistency
 * (dense positions, per-aggregate order) and then records them here, so that the read models can
 * be derived in log order with the envelopes' timestamps.
 */
import { isRecord, knownAggregate, knownCommand, normalisePayload, validId, type Address, type Item } from './payloads.js';

export type { Address, Item } from './payloads.js';

export type AccountState = { status: 'open' | 'closed'; owner: string; balance: number };
export type OrderState = {
  status: 'open' | 'shipped' | 'cancelled';
  customerId: string;
  items: Item[];
  shippedAt: number | null;
  cancelledAt: number | null;
  cancelReason: string | null;
};
export type CustomerState = { name: string; email: string; phone: string | null; address: Address | null };

/** A stored event as the model expects it in an envelope. */
export type ModelEvent = {
  type: string;
  data: Record<string, unknown>;
  eventId: string;
  aggregate: string;
  id: string;
  version: number;
  position: number;
  timestamp: number;
  commandId: string;
  correlationId: string;
  causationId: string;
};

/** One commit: all events of one accepted command. */
export type ModelCommit = {
  aggregate: string;
  id: string;
  position: number;
  timestamp: number;
  commandId: string;
  version: number;
  events: ModelEvent[];
};

/** What the model says a command's result will be. */
export type Prediction =
  | { kind: 'accepted'; aggregate: string; id: string; events: { type: string; data: Record<string, unknown> }[]; version: number }
  | { kind: 'duplicate'; first: FirstResult }
  | { kind: 'error'; code: ErrorCode; reason?: string };

export type ErrorCode = 'invalid' | 'unknown_command' | 'rejected' | 'conflict';

/** The first result of an accepted command, which a re-send with its commandId gets back. */
export type FirstResult = { ok: true; version: number; position: number; events: ModelEvent[]; aggregate: string; id: string };

type Stream = { version: number; events: ModelEvent[] };

/** The whole modelled system: aggregate states, the log, and the accepted commandIds. */
export type World = {
  accounts: Map<string, AccountState>;
  orders: Map<string, OrderState>;
  customers: Map<string, CustomerState>;
  streams: Map<string, Stream>;
  /** In the order they were recorded; {@link commitsInLogOrder} sorts by position. */
  commits: ModelCommit[];
  accepted: Map<string, FirstResult>;
  /** The first rejection of each rejected commandId: a re-send gets it, whatever the state now. */
  rejections: Map<string, Prediction>;
  /** The last position taken: by a commit, or by a stored rejection (which no reader sees). */
  lastPosition: number;
};

export const emptyWorld = (): World => ({
  accounts: new Map(),
  orders: new Map(),
  customers: new Map(),
  streams: new Map(),
  commits: [],
  accepted: new Map(),
  rejections: new Map(),
  lastPosition: 0,
});

export const streamKey = (aggregate: string, id: string): string => `${aggregate}/${id}`;

export const versionOf = (world: World, aggregate: string, id: string): number => world.streams.get(streamKey(aggregate, id))?.version ?? 0;

/** The highest position of a commit recorded so far (0 for an empty log): what `headPosition()` says. */
export const headOf = (world: World): number => world.commits.reduce((m, c) => Math.max(m, c.position), 0);

export const commitsInLogOrder = (world: World): ModelCommit[] => [...world.commits].sort((a, b) => a.position - b.position);

const rejected = (reason: string): Prediction => ({ kind: 'error', code: 'rejected', reason });
const NOT_ACCEPTED = rejected('NotAccepted');
const accept = (type: string, data: Record<string, unknown>) => ({ kind: 'decided' as const, events: [{ type, data }] });
type Decision = ReturnType<typeof accept> | Prediction;

function decideAccount(state: AccountState | undefined, type: string, p: Record<string, unknown>): Decision {
  if (state === undefined) return type === 'OpenAccount' ? accept('AccountOpened', { owner: p.owner as string }) : NOT_ACCEPTED;
  if (state.status === 'closed') return NOT_ACCEPTED;
  switch (type) {
    case 'Deposit':
      return accept('Deposited', { amount: p.amount as number });
    case 'Withdraw':
      return (p.amount as number) <= state.balance ? accept('Withdrawn', { amount: p.amount as number }) : rejected('InsufficientFunds');
    case 'CloseAccount':
      return state.balance === 0 ? accept('AccountClosed', {}) : rejected('BalanceNotZero');
    default:
      return NOT_ACCEPTED;
  }
}

function decideOrder(state: OrderState | undefined, type: string, p: Record<string, unknown>): Decision {
  if (state === undefined) return type === 'CreateOrder' ? accept('OrderCreated', { customerId: p.customerId as string }) : NOT_ACCEPTED;
  if (type === 'CreateOrder') return NOT_ACCEPTED;
  if (state.status === 'shipped') return rejected('AlreadyShipped');
  if (state.status === 'cancelled') return rejected('OrderCancelled');
  switch (type) {
    case 'AddItem':
      return accept('ItemAdded', p);
    case 'ShipOrder':
      return state.items.length > 0 ? accept('OrderShipped', {}) : rejected('EmptyOrder');
    case 'CancelOrder':
      return accept('OrderCancelled', p.reason === undefined ? {} : { reason: p.reason as string });
    default:
      return NOT_ACCEPTED;
  }
}

const sameAddress = (a: Address | null, b: Record<string, unknown>) =>
  a !== null && a.street === b.street && a.city === b.city && a.postalCode === b.postalCode && a.country === b.country;

function decideCustomer(state: CustomerState | undefined, type: string, p: Record<string, unknown>): Decision {
  if (state === undefined) return type === 'RegisterCustomer' ? accept('CustomerRegistered', p) : NOT_ACCEPTED;
  switch (type) {
    case 'ChangeUserEmail':
      return (p.email as string).toLowerCase() === state.email.toLowerCase()
        ? rejected('SameEmail')
        : accept('UserEmailChanged', { email: p.email as string, previousEmail: state.email });
    case 'UpdateUserAddress':
      return sameAddress(state.address, p) ? rejected('SameAddress') : accept('UserAddressUpdated', p);
    case 'ChangePhoneNumber':
      return p.phone === state.phone ? rejected('SamePhoneNumber') : accept('PhoneNumberChanged', { phone: p.phone as string });
    default:
      return NOT_ACCEPTED;
  }
}

const MAX_COMMAND_ID = 256;

// The envelope checks in-process dispatch documents: shape first, then the aggregate, the id, the
// command type and the payload; nothing else is looked at before they pass.
function refusal(command: unknown): Prediction | undefined {
  const invalid: Prediction = { kind: 'error', code: 'invalid' };
  if (!isRecord(command)) return invalid;
  const { type, aggregate, id, payload, commandId, correlationId, expectedVersion } = command;
  if (typeof type !== 'string' || type === '' || typeof aggregate !== 'string' || typeof id !== 'string' || payload === undefined) return invalid;
  if (commandId !== undefined && !(typeof commandId === 'string' && commandId.length >= 1 && commandId.length <= MAX_COMMAND_ID)) return invalid;
  if (correlationId !== undefined && typeof correlationId !== 'string') return invalid;
  if (expectedVersion !== undefined && !(Number.isSafeInteger(expectedVersion) && (expectedVersion as number) >= 0)) return invalid;
  if (!knownAggregate(aggregate)) return { kind: 'error', code: 'unknown_command' };
  if (!validId(id)) return invalid;
  if (!knownCommand(aggregate, type)) return { kind: 'error', code: 'unknown_command' };
  if (normalisePayload(aggregate, type, payload) === undefined) return invalid;
  return undefined;
}

/**
 * What sending `command` to the system in state `world` results in. Pure: the world is not
 * changed (see {@link record}).
 */
export function predict(world: World, command: unknown): Prediction {
  const refused = refusal(command);
  if (refused) return refused;
  const c = command as { type: string; aggregate: string; id: string; payload: unknown; commandId?: string; expectedVersion?: number };
  if (c.commandId !== undefined) {
    const first = world.accepted.get(c.commandId);
    if (first !== undefined) {
      if (first.aggregate !== c.aggregate || first.id !== c.id) {
        throw new Error(`the model does not cover reusing commandId ${c.commandId} for another aggregate (history generator bug)`);
      }
      return { kind: 'duplicate', first };
    }
    const rejection = world.rejections.get(c.commandId);
    if (rejection !== undefined) return rejection;
  }
  const version = versionOf(world, c.aggregate, c.id);
  if (c.expectedVersion !== undefined && c.expectedVersion !== version) return { kind: 'error', code: 'conflict' };
  const payload = normalisePayload(c.aggregate, c.type, c.payload)!;
  const decision =
    c.aggregate === 'Account'
      ? decideAccount(world.accounts.get(c.id), c.type, payload)
      : c.aggregate === 'Order'
        ? decideOrder(world.orders.get(c.id), c.type, payload)
        : decideCustomer(world.customers.get(c.id), c.type, payload);
  if (decision.kind !== 'decided') return decision;
  return { kind: 'accepted', aggregate: c.aggregate, id: c.id, events: decision.events, version: version + decision.events.length };
}

function evolve(world: World, e: ModelEvent): void {
  const { id } = e;
  const d = e.data;
  switch (e.type) {
    case 'AccountOpened':
      world.accounts.set(id, { status: 'open', owner: d.owner as string, balance: 0 });
      return;
    case 'Deposited':
    case 'Withdrawn': {
      const a = world.accounts.get(id)!;
      a.balance += e.type === 'Deposited' ? (d.amount as number) : -(d.amount as number);
      return;
    }
    case 'AccountClosed':
      world.accounts.get(id)!.status = 'closed';
      return;
    case 'OrderCreated':
      world.orders.set(id, { status: 'open', customerId: d.customerId as string, items: [], shippedAt: null, cancelledAt: null, cancelReason: null });
      return;
    case 'ItemAdded':
      world.orders.get(id)!.items.push(d as Item);
      return;
    case 'OrderShipped':
      Object.assign(world.orders.get(id)!, { status: 'shipped', shippedAt: e.timestamp });
      return;
    case 'OrderCancelled':
      Object.assign(world.orders.get(id)!, { status: 'cancelled', cancelledAt: e.timestamp, cancelReason: (d.reason as string | undefined) ?? null });
      return;
    case 'CustomerRegistered':
      world.customers.set(id, { name: d.name as string, email: d.email as string, phone: (d.phone as string | undefined) ?? null, address: null });
      return;
    case 'UserEmailChanged':
      world.customers.get(id)!.email = d.email as string;
      return;
    case 'UserAddressUpdated':
      world.customers.get(id)!.address = d as Address;
      return;
    case 'PhoneNumberChanged':
      world.customers.get(id)!.phone = d.phone as string;
      return;
    default:
      throw new Error(`the model has no event ${e.type}`);
  }
}

// Event types whose schema is past version 1 in the example domain: their envelopes say so.
const SCHEMA_VERSIONS: Readonly<Record<string, number>> = { UserAddressUpdated: 2 };

/**
 * The envelopes an accepted command's commit must carry, given where (position) and when
 * (timestamp) the system wrote it and under which commandId (generated when the command had none).
 */
export function expectedEnvelopes(
  world: World,
  prediction: Extract<Prediction, { kind: 'accepted' }>,
  at: { position: number; timestamp: number; commandId: string; correlationId?: string | undefined },
): ModelEvent[] {
  const before = versionOf(world, prediction.aggregate, prediction.id);
  return prediction.events.map((e, i) => ({
    type: e.type,
    data: e.data,
    ...(SCHEMA_VERSIONS[e.type] !== undefined && { schemaVersion: SCHEMA_VERSIONS[e.type] }),
    eventId: `${at.commandId}/${i}`,
    aggregate: prediction.aggregate,
    id: prediction.id,
    version: before + i + 1,
    position: at.position,
    timestamp: at.timestamp,
    commandId: at.commandId,
    correlationId: at.correlationId ?? at.commandId,
    causationId: at.commandId,
  }));
}

/** Records an accepted command's commit (its envelopes from {@link expectedEnvelopes}). */
export function record(world: World, events: ModelEvent[]): void {
  const first = events[0]!;
  const key = streamKey(first.aggregate, first.id);
  const stream = world.streams.get(key) ?? { version: 0, events: [] };
  world.streams.set(key, stream);
  for (const e of events) {
    evolve(world, e);
    stream.events.push(e);
  }
  stream.version = events[events.length - 1]!.version;
  const commit: ModelCommit = {
    aggregate: first.aggregate,
    id: first.id,
    position: first.position,
    timestamp: first.timestamp,
    commandId: first.commandId,
    version: stream.version,
    events,
  };
  world.commits.push(commit);
  world.lastPosition = Math.max(world.lastPosition, first.position);
  world.accepted.set(first.commandId, { ok: true, version: stream.version, position: first.position, events, aggregate: first.aggregate, id: first.id });
}
