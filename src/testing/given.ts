import { AssertionError, deepStrictEqual } from 'node:assert/strict';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { createAggregateInstance, type Decision } from '../aggregate/aggregateInstance.js';
import type { DomainEventsOf } from '../aggregate/aggregateTypes.js';
import type { AnyAggregateDefinition } from '../aggregate/defineAggregate.js';
import { validateCommand } from '../aggregate/validateCommand.js';
import type { ErrorCode } from '../errors.js';
import { historyEnvelopes, type OlderGivenEvent } from './givenHistory.js';

type CommandTypes<D extends AnyAggregateDefinition> = keyof D['commands'] & string;
type PayloadInput<D extends AnyAggregateDefinition, K extends CommandTypes<D>> = StandardSchemaV1.InferInput<D['commands'][K]>;

/**
 * A past event for {@link given}: a current domain event of the aggregate, or one as older code
 * wrote it (an {@link OlderGivenEvent}, with its `schemaVersion`, upcast as the runtime does);
 * optionally with the envelope timestamp that event transitions will see (default 0).
 *
 * @example
 * ```ts
 * const history: GivenEvent<typeof Order>[] = [{ type: 'OrderCreated', data: { customerId: 'c-1' }, timestamp: 1_700_000_000_000 }];
 * ```
 */
export type GivenEvent<D extends AnyAggregateDefinition> = (DomainEventsOf<D['events']> & { readonly timestamp?: number }) | OlderGivenEvent;

/**
 * A command for {@link Given.when}, as an object.
 *
 * @example
 * ```ts
 * const cmd: GivenCommand<typeof Account> = { type: 'Deposit', payload: { amount: 10 }, commandId: 'c-7' };
 * ```
 */
export type GivenCommand<D extends AnyAggregateDefinition> = {
  [K in CommandTypes<D>]: { readonly type: K; readonly payload: PayloadInput<D, K>; readonly commandId?: string; readonly correlationId?: string };
}[CommandTypes<D>];

/**
 * The expectation step of a specification. Await it: it rejects with an `AssertionError` when the
 * outcome differs.
 *
 * @example
 * ```ts
 * await given(Account, opened).when('Withdraw', { amount: 5 }).thenRejects('rejected', 'InsufficientFunds');
 * ```
 */
export type When<D extends AnyAggregateDefinition> = {
  /** Expects exactly these events, in order (data as the event schemas output it). */
  then(expected: ReadonlyArray<DomainEventsOf<D['events']>>): Promise<void>;
  /** Expects a failure with this error code and, when given, this rejection reason. */
  thenRejects(code: ErrorCode, reason?: string): Promise<void>;
};

/**
 * A specification with its history set: say which command happens next.
 *
 * @example
 * ```ts
 * const spec: Given<typeof Account> = given(Account, [{ type: 'AccountOpened', data: { owner: 'Ada' } }]);
 * ```
 */
export type Given<D extends AnyAggregateDefinition> = {
  when<K extends CommandTypes<D>>(
    type: K,
    ...payload: {} extends PayloadInput<D, K> ? [payload?: PayloadInput<D, K>] : [payload: PayloadInput<D, K>]
  ): When<D>;
  when(command: GivenCommand<D>): When<D>;
};

/**
 * Options of {@link given}.
 *
 * @example
 * ```ts
 * await given(Account, history, { id: 'acc-7' }).when('Deposit', { amount: 1 }).then([{ type: 'Deposited', data: { amount: 1 } }]);
 * ```
 */
export type GivenOptions = {
  /** The instance id the history and the command belong to. Default `given-1`. */
  id?: string;
};

type Outcome = { readonly decision: Decision };

function describeEvents(events: readonly { type: string; data: unknown }[]): string {
  return events.length === 0 ? 'no events' : JSON.stringify(events.map((e) => ({ type: e.type, data: e.data })));
}

/**
 * Given/when/then specifications for an aggregate, in the style of Emmett's DeciderSpecification.
 * It runs the same decide logic as the host (payload validation, the not-accepted check, emit collection,
 * `reject`, event validation) purely in memory: no log, no app.
 *
 * The history is read as the runtime reads the log (events of older schema versions through the
 * aggregate's upcasters), validated against the event schemas and applied through the machine's
 * event transitions; then the command is decided. Await the result of `then`/`thenRejects`.
 *
 * @example
 * ```ts
 * await given(Account, [{ type: 'AccountOpened', data: { owner: 'Ada' } }])
 *   .when('Deposit', { amount: 10 })
 *   .then([{ type: 'Deposited', data: { amount: 10 } }]);
 *
 * await given(Account).when('Deposit', { amount: 10 }).thenRejects('rejected', 'NotAccepted');
 * ```
 */
export function given<D extends AnyAggregateDefinition>(
  aggregate: D,
  events: ReadonlyArray<GivenEvent<D>> = [],
  options: GivenOptions = {},
): Given<D> {
  const id = options.id ?? 'given-1';

  const run = async (type: string, payload: unknown, commandId: string, correlationId: string): Promise<Outcome> => {
    const envelopes = await historyEnvelopes(aggregate, id, events);
    const checked = await validateCommand(aggregate, type, payload);
    if (!checked.ok) return { decision: { ok: false, error: checked.error } };
    const instance = createAggregateInstance(aggregate, id);
    instance.evolve(envelopes);
    const decision = await instance.decide({ type, aggregate: aggregate.name, id, payload: checked.payload, commandId, correlationId });
    return { decision };
  };

  const when = (typeOrCommand: string | GivenCommand<D>, payload?: unknown): When<D> => {
    const command = typeof typeOrCommand === 'string' ? { type: typeOrCommand, payload: payload ?? {} } : typeOrCommand;
    const commandId = ('commandId' in command ? command.commandId : undefined) ?? 'given-command';
    const correlationId = ('correlationId' in command ? command.correlationId : undefined) ?? commandId;
    const label = `${aggregate.name}.${command.type}`;
    return {
      // `then` makes this object look like a promise; awaiting it without calling then() would
      // hang, so that mistake is reported instead.
      async then(expected: ReadonlyArray<DomainEventsOf<D['events']>>, ...misuse: unknown[]): Promise<void> {
        if (typeof expected === 'function') {
          const error = new TypeError('given(...).when(...) is not awaitable by itself: call .then(expectedEvents) or .thenRejects(code)');
          if (typeof misuse[0] !== 'function') throw error;
          (misuse[0] as (e: unknown) => void)(error);
          return;
        }
        const { decision } = await run(command.type, command.payload, commandId, correlationId);
        if (!decision.ok) {
          throw new AssertionError({
            message: `${label}: expected ${describeEvents(expected)}, but it failed with ${decision.error.code}: ${decision.error.message}`,
          });
        }
        const actual = decision.events.map((e) => ({ type: e.type, data: e.data }));
        deepStrictEqual(actual, expected.map((e) => ({ type: e.type, data: e.data })), `${label}: unexpected events`);
      },
      async thenRejects(code: ErrorCode, reason?: string): Promise<void> {
        const { decision } = await run(command.type, command.payload, commandId, correlationId);
        if (decision.ok) {
          throw new AssertionError({ message: `${label}: expected a ${code} error, but it emitted ${describeEvents(decision.events)}` });
        }
        const error = decision.error;
        const actualReason = error.details?.reason;
        if (error.code !== code || (reason !== undefined && actualReason !== reason)) {
          const wanted = reason === undefined ? code : `${code} (${reason})`;
          const got = actualReason === undefined ? error.code : `${error.code} (${String(actualReason)})`;
          throw new AssertionError({ message: `${label}: expected ${wanted}, got ${got}: ${error.message}`, actual: got, expected: wanted });
        }
      },
    };
  };

  return { when } as Given<D>;
}
