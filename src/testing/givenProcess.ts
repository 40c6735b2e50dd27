import { AssertionError, deepStrictEqual } from 'node:assert/strict';
import type { ErrorCode } from '../errors.js';
import type { EventEnvelope } from '../eventLog/eventLog.js';
import type { ProcessDefinition } from '../process/defineProcess.js';
import type { CommandAnswerEvent } from '../process/processEvents.js';
import type { InstanceRecord, ProcessInput } from '../process/processInstance.js';
import { nextDueTimer, snapshotOf, startsInstance, stepInstance } from '../process/processStep.js';
import type { ProcessCommand } from '../process/sendCommand.js';

/**
 * A log event for {@link givenProcess}: a domain event with the envelope fields the process reads
 * (`aggregate`, `id`, `timestamp`; defaults `Given`, the instance id, 0).
 *
 * @example
 * ```ts
 * const placed: GivenProcessEvent = { type: 'OrderPlaced', aggregate: 'Order', id: 'o-1', data: { accountId: 'a-1', total: 600, items: [] }, timestamp: 1000 };
 * ```
 */
export type GivenProcessEvent = { readonly type: string; readonly data: unknown; readonly aggregate?: string; readonly id?: string; readonly timestamp?: number };

/**
 * The answer to a command the process sent; the command as the process sent it (its commandId may be left out).
 *
 * @example
 * ```ts
 * const answer: GivenAnswer = { type: 'CommandRejected', command: { type: 'Withdraw', aggregate: 'Account', id: 'a-1', payload: { amount: 600 } }, reason: 'InsufficientFunds', message: 'no' };
 * ```
 */
export type GivenAnswer =
  | { readonly type: 'CommandSucceeded'; readonly command: ProcessCommand; readonly position?: number }
  | { readonly type: 'CommandRejected'; readonly command: ProcessCommand; readonly reason: string; readonly message?: string }
  | { readonly type: 'CommandFailed'; readonly command: ProcessCommand; readonly code: ErrorCode; readonly message?: string };

/**
 * A timer firing for {@link GivenProcess.when}: the earliest pending timer, or the one whose delay
 * is named `timer` (as in `after: { shipWithin: ... }`).
 *
 * @example
 * ```ts
 * const fire: GivenTimer = { timer: 'shipWithin' };
 * ```
 */
export type GivenTimer = { readonly timer: string | true };

/** Any input of a process specification. @example `const input: GivenProcessInput = { timer: true };` */
export type GivenProcessInput = GivenProcessEvent | GivenAnswer | GivenTimer;

/**
 * A timer expected by {@link ProcessWhen.thenSchedules}: by the name of its delay (or its whole
 * id) and, when given, its due time.
 *
 * @example
 * ```ts
 * const t: ExpectedTimer = { timer: 'shipWithin', dueAt: 61_000 };
 * ```
 */
export type ExpectedTimer = { readonly timer: string; readonly dueAt?: number };

/**
 * The expectation step of a process specification. Each method reruns the scenario and rejects
 * with an `AssertionError` when the outcome differs.
 *
 * @example
 * ```ts
 * await givenProcess(Fulfilment, [placed]).when(reserved).thenSends([withdraw]);
 * ```
 */
export type ProcessWhen = {
  /** Exactly these commands (type, aggregate, id, payload), in order, decided by the input (and by timers it made due). */
  thenSends(expected: readonly ProcessCommand[]): Promise<void>;
  /** Exactly these pending timers after the input. */
  thenSchedules(expected: readonly ExpectedTimer[]): Promise<void>;
  /** The state value after the input and, when given, these context fields. */
  thenState(value: unknown, context?: Record<string, unknown>): Promise<void>;
  /** The input halts the instance (its machine threw or sent a malformed command). */
  thenHalts(messageIncludes?: string): Promise<void>;
};

/**
 * A process specification with its history set.
 *
 * @example
 * ```ts
 * const spec: GivenProcess = givenProcess(Fulfilment, [placed]);
 * ```
 */
export type GivenProcess = { when(input: GivenProcessInput): ProcessWhen };

type Outcome = { record: InstanceRecord | undefined; commands: ProcessCommand[]; halted?: string };

const isTimer = (input: GivenProcessInput): input is GivenTimer => 'timer' in input;
const isAnswer = (input: GivenProcessInput): input is GivenAnswer => 'command' in input && (input.type === 'CommandSucceeded' || input.type === 'CommandRejected' || input.type === 'CommandFailed');

function timerMatches(id: string, name: string | true): boolean {
  return name === true || id === name || id.startsWith(`xstate.after.${name}.`);
}

/**
 * Given/when/then specifications for a process manager, in memory, with exactly the step the
 * runtime takes (same transition, same command ids, same timers). Timers in the history fire by
 * log time, as in the runtime: before an event whose timestamp is at or past their due time.
 * Answers time-stamp like the runtime's: with the time of the last input before them.
 *
 * @example
 * ```ts
 * const placed = { type: 'OrderPlaced', aggregate: 'Order', id: 'o-1', data: { accountId: 'a-1', total: 600, items: [{ sku: 'TEA', quantity: 2 }] } };
 * await givenProcess(Fulfilment).when(placed).thenSends([{ type: 'ReserveStock', aggregate: 'Inventory', id: 'TEA', payload: { order: 'o-1', quantity: 2 } }]);
 * await givenProcess(Fulfilment, [placed]).when({ timer: 'shipWithin' }).thenState('cancelling');
 * ```
 */
export function givenProcess(process: ProcessDefinition, history: readonly GivenProcessInput[] = [], options: { instance?: string } = {}): GivenProcess {
  const instance = options.instance ?? 'given-1';

  const run = (all: readonly GivenProcessInput[]): Outcome => {
    let record: InstanceRecord | undefined;
    let now = 0;
    let position = 0;
    let commands: ProcessCommand[] = [];
    const apply = (input: ProcessInput, label: string, last: boolean): string | undefined => {
      // As in the runtime: an input the initial state does not take starts no instance.
      if (record === undefined && !startsInstance(process, input)) return undefined;
      const step = stepInstance(process, record, instance, input);
      if (!step.ok) {
        if (last) return step.error.message;
        throw new AssertionError({ message: `the given history halts the instance at ${label}: ${step.error.message}` });
      }
      record = step.record;
      if (last) commands.push(...step.commands.map(({ command: { type, aggregate, id, payload } }) => ({ type, aggregate, id, payload })));
      return undefined;
    };
    for (const [i, given] of all.entries()) {
      const last = i === all.length - 1;
      const label = last ? 'when' : `history ${i}`;
      commands = last ? [] : commands;
      let input: ProcessInput;
      if (isTimer(given)) {
        const timer = record?.timers.find((t) => timerMatches(t.id, given.timer));
        if (!timer) throw new AssertionError({ message: `${label}: no pending timer ${given.timer === true ? '' : `${given.timer} `}to fire; pending: ${JSON.stringify(record?.timers.map((t) => t.id) ?? [])}` });
        input = { kind: 'timer', id: timer.id, event: timer.event, dueAt: timer.dueAt, setBy: timer.setBy };
        now = Math.max(now, timer.dueAt);
      } else if (isAnswer(given)) {
        const command = { ...given.command, commandId: (given.command as { commandId?: string }).commandId ?? `given/${i}` };
        const answer = { ...given, command, timestamp: now, message: 'message' in given ? (given.message ?? '') : '', ...(given.type === 'CommandSucceeded' ? { position: given.position ?? position } : {}) } as CommandAnswerEvent;
        input = { kind: 'answer', answer };
      } else {
        now = given.timestamp ?? now;
        position += 1;
        for (let t = nextDueTimer(record, now); t; t = nextDueTimer(record, now)) {
          const halted = apply(t, `${label} (timer ${t.kind === 'timer' ? t.id : ''})`, last);
          if (halted) return { record, commands, halted };
        }
        const event: EventEnvelope = {
          type: given.type,
          data: given.data,
          aggregate: given.aggregate ?? 'Given',
          id: given.id ?? instance,
          eventId: `given-${position}/0`,
          version: position,
          position,
          timestamp: now,
          commandId: `given-${position}`,
          correlationId: `given-${position}`,
          causationId: `given-${position}`,
        };
        input = { kind: 'event', event, index: 0 };
      }
      const halted = apply(input, label, last);
      if (halted) return { record, commands, halted };
    }
    return { record, commands };
  };

  return {
    when(input) {
      const outcome = () => run([...history, input]);
      const notHalted = (o: Outcome) => {
        if (o.halted) throw new AssertionError({ message: `${process.name}: the input halted the instance: ${o.halted}` });
      };
      return {
        async thenSends(expected) {
          const o = outcome();
          notHalted(o);
          deepStrictEqual(o.commands, expected.map(({ type, aggregate, id, payload }) => ({ type, aggregate, id, payload })), `${process.name}: unexpected commands`);
        },
        async thenSchedules(expected) {
          const o = outcome();
          notHalted(o);
          const timers = o.record?.timers ?? [];
          const matched = expected.length === timers.length && expected.every((e, i) => timerMatches(timers[i]!.id, e.timer) && (e.dueAt === undefined || e.dueAt === timers[i]!.dueAt));
          if (!matched) throw new AssertionError({ message: `${process.name}: expected timers ${JSON.stringify(expected)}, got ${JSON.stringify(timers.map((t) => ({ id: t.id, dueAt: t.dueAt })))}` });
        },
        async thenState(value, context) {
          const o = outcome();
          notHalted(o);
          if (!o.record) throw new AssertionError({ message: `${process.name}: the instance took no input` });
          const snapshot = snapshotOf(process, o.record);
          deepStrictEqual(snapshot.value, value, `${process.name}: unexpected state`);
          if (context) {
            const actual = Object.fromEntries(Object.keys(context).map((k) => [k, (snapshot.context as Record<string, unknown>)[k]]));
            deepStrictEqual(actual, context, `${process.name}: unexpected context`);
          }
        },
        async thenHalts(messageIncludes) {
          const o = outcome();
          if (!o.halted) throw new AssertionError({ message: `${process.name}: expected the instance to halt, but it took the input` });
          if (messageIncludes !== undefined && !o.halted.includes(messageIncludes)) {
            throw new AssertionError({ message: `${process.name}: expected a halt mentioning ${JSON.stringify(messageIncludes)}, got: ${o.halted}` });
          }
        },
      };
    },
  };
}
