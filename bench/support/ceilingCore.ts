import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { Account } from '../../actors/index.js';
import { machineAdapter } from '../../src/aggregate/machineAdapter.js';
import { isRejection } from '../../src/aggregate/reject.js';
import { validateSchema } from '../../src/aggregate/validateSchema.js';
import type { DomainEvent, EventEnvelope, Refusal } from '../../src/eventLog/eventLog.js';
import type { Command } from '../../src/index.js';

/**
 * What a ceiling run decided for one command: the events to append, or the rejection to store.
 *
 * @example
 * ```ts
 * const d: CeilingDecision = { ok: false, reason: 'InsufficientFunds', message: 'cannot withdraw 5: the balance is 0' };
 * ```
 */
export type CeilingDecision = { readonly ok: true; readonly events: DomainEvent[] } | { readonly ok: false; readonly reason: string; readonly message: string };

/**
 * The parts of the write path that no design on XState aggregates can leave out, for the Account
 * aggregate and nothing around them: the payload check (the command schema, as dispatch checks
 * it), decide with the event check (the event schemas), and evolve with a stored envelope. Two
 * implementations: `xstateCore` (the machine, through the host's own adapter) and `reducerCore`
 * (the same rules as plain functions: what a design that compiles transitions would run).
 * Synchronous throughout: Account's schemas are.
 *
 * @example
 * ```ts
 * const core = xstateCore();
 * let state = core.initial;
 * const payload = core.validate(command);
 * const decision = core.decide(state, command.type, payload);
 * if (decision.ok) state = core.evolve(state, envelope);
 * ```
 */
export type CeilingCore<S> = {
  readonly name: string;
  readonly initial: S;
  /** The command's payload as its schema outputs it; throws on an invalid one (W1 has none). */
  validate(command: Command): unknown;
  /** Decides against `state` and checks the emitted events against their schemas. */
  decide(state: S, type: string, payload: unknown): CeilingDecision;
  /** The state after one stored event. */
  evolve(state: S, envelope: EventEnvelope): S;
  /** The balance a state holds, for the check against the model. */
  balanceOf(state: S): number;
};

function validatePayload(command: Command): unknown {
  const schema = Account.commands[command.type as keyof typeof Account.commands];
  const outcome = validateSchema(schema, command.payload);
  if (outcome instanceof Promise || !outcome.ok) throw new Error(`invalid ${command.type} payload in the workload`);
  return outcome.value;
}

// The event check the host runs on every emitted event (aggregateInstance's validateEvents).
function checkEvent(type: string, data: unknown): DomainEvent {
  const schema = Object.hasOwn(Account.events, type) ? Account.events[type as keyof typeof Account.events] : undefined;
  if (schema === undefined) throw new Error(`Account emitted an unknown event ${type}`);
  const outcome = validateSchema(schema, data);
  if (outcome instanceof Promise || !outcome.ok) throw new Error(`Account emitted an invalid ${type}`);
  return { type, data: outcome.value };
}

const EMIT = 'xstate.emit';

/**
 * Account's machine, taken with `machineAdapter` (the host's one door to XState, tested to agree
 * with `xstate.transition()`): a command transition, its `xstate.emit` actions collected, then one
 * event transition per stored envelope, as the host takes them.
 *
 * @example
 * ```ts
 * const core = xstateCore();
 * ```
 */
export function xstateCore(): CeilingCore<AnyMachineSnapshot> {
  const adapter = machineAdapter(Account.machine);
  const { actions } = adapter;
  return {
    name: 'XState',
    initial: adapter.initial,
    validate: validatePayload,
    decide(state, type, payload) {
      const after = adapter.transition(state, { type, payload } as EventObject);
      if (after.context !== state.context) throw new Error(`command ${type} changed the context`);
      const events: DomainEvent[] = [];
      for (const action of actions) {
        if (action.type !== EMIT) continue;
        const e = (action.params as { event: EventObject & { data?: unknown } }).event;
        if (isRejection(e)) return { ok: false, reason: e.reason, message: e.message };
        events.push(checkEvent(e.type, e.data));
      }
      // A command no transition takes is a rejection in the host; W1 sends none.
      if (events.length === 0) throw new Error(`command ${type} was not accepted in state ${String(state.value)}`);
      return { ok: true, events };
    },
    evolve: (state, envelope) => adapter.transition(state, envelope),
    balanceOf: (state) => (state.context as { balance: number }).balance,
  };
}

/**
 * An Account state of the reducer design: an immutable value, as an XState snapshot is.
 *
 * @example
 * ```ts
 * const s: AccountState = { status: 'open', owner: 'Ada', balance: 0 };
 * ```
 */
export type AccountState = { readonly status: 'new' | 'open' | 'closed'; readonly owner: string; readonly balance: number };

/**
 * The same rules as Account's machine, written as two plain functions (decide: state and command
 * to events or a rejection; evolve: state and event to state), with the same schema checks on
 * either side: the cost a design that compiled the machine's transitions would pay.
 *
 * @example
 * ```ts
 * const core = reducerCore();
 * ```
 */
export function reducerCore(): CeilingCore<AccountState> {
  return {
    name: 'reducer',
    initial: { status: 'new', owner: '', balance: 0 },
    validate: validatePayload,
    decide(state, type, payload) {
      const p = payload as { owner?: string; amount?: number };
      if (state.status === 'new' && type === 'OpenAccount') return { ok: true, events: [checkEvent('AccountOpened', { owner: p.owner })] };
      if (state.status === 'open' && type === 'Deposit') return { ok: true, events: [checkEvent('Deposited', { amount: p.amount })] };
      if (state.status === 'open' && type === 'Withdraw') {
        if (p.amount! <= state.balance) return { ok: true, events: [checkEvent('Withdrawn', { amount: p.amount })] };
        return { ok: false, reason: 'InsufficientFunds', message: `cannot withdraw ${p.amount!}: the balance is ${state.balance}` };
      }
      throw new Error(`command ${type} was not accepted in state ${state.status}`);
    },
    evolve(state, envelope) {
      const data = envelope.data as { owner?: string; amount?: number };
      switch (envelope.type) {
        case 'AccountOpened':
          return { status: 'open', owner: data.owner!, balance: 0 };
        case 'Deposited':
          return { status: state.status, owner: state.owner, balance: state.balance + data.amount! };
        case 'Withdrawn':
          return { status: state.status, owner: state.owner, balance: state.balance - data.amount! };
        default:
          throw new Error(`unknown event ${envelope.type}`);
      }
    },
    balanceOf: (state) => state.balance,
  };
}

/**
 * The refusal the host stores for a rejected command: its answer is the error shape the caller
 * gets (code `rejected`, the reason in the details).
 *
 * @example
 * ```ts
 * const refusal = refusalOf(command, { ok: false, reason: 'InsufficientFunds', message: 'balance 0' }, Date.now());
 * ```
 */
export function refusalOf(c: Command, decision: Extract<CeilingDecision, { ok: false }>, timestamp: number): Refusal {
  return {
    aggregate: 'Account',
    id: c.id,
    commandId: c.commandId!,
    timestamp,
    answer: { code: 'rejected', message: decision.message, details: { reason: decision.reason, aggregate: 'Account', id: c.id, command: c.type } },
  };
}
