import type { AnyAggregateDefinition } from '../aggregate/defineAggregate.js';
import type { Command, CommandResult } from '../commands/command.js';
import type { Dispatch } from '../commands/dispatch.js';
import type { Observer } from './observer.js';

/** The label of any name the app does not know: a client must not be able to grow a label set. */
export const UNKNOWN_LABEL = 'unknown';

/**
 * The aggregate and command type labels of a command: its names when the app knows them, else
 * {@link UNKNOWN_LABEL}.
 *
 * @example
 * ```ts
 * const label = commandLabels([Account]);
 * label({ aggregate: 'Account', type: 'Deposit' }); // { aggregate: 'Account', type: 'Deposit' }
 * label({ aggregate: 'Nope', type: 'x' }); // { aggregate: 'unknown', type: 'unknown' }
 * ```
 */
export function commandLabels(aggregates: readonly AnyAggregateDefinition[]): (command: unknown) => CommandLabels {
  // One frozen label object per known (aggregate, type), handed out again for every command.
  const unknown: CommandLabels = Object.freeze({ aggregate: UNKNOWN_LABEL, type: UNKNOWN_LABEL });
  const known = new Map(
    aggregates.map((d) => {
      const types = new Map(Object.keys(d.commands).map((type) => [type, Object.freeze({ aggregate: d.name, type })] as const));
      return [d.name, { types, other: Object.freeze({ aggregate: d.name, type: UNKNOWN_LABEL }) }] as const;
    }),
  );
  return (command) => {
    const c = (typeof command === 'object' && command !== null ? command : {}) as Partial<Record<'aggregate' | 'type', unknown>>;
    const entry = typeof c.aggregate === 'string' ? known.get(c.aggregate) : undefined;
    if (entry === undefined) return unknown;
    return (typeof c.type === 'string' ? entry.types.get(c.type) : undefined) ?? entry.other;
  };
}

/**
 * The bounded labels of one command: its aggregate and type names, or `unknown`.
 *
 * @example
 * ```ts
 * const labels: CommandLabels = { aggregate: 'Account', type: 'Deposit' };
 * ```
 */
export type CommandLabels = { readonly aggregate: string; readonly type: string };

/**
 * Wraps a dispatch so that every answer is reported as `observer.commandHandled`, timed from the
 * call (receipt) to the result (reply).
 *
 * @example
 * ```ts
 * const send = observeDispatch(createDispatch({ aggregates, registry, logger }), aggregates, metrics.observer);
 * ```
 */
export function observeDispatch(send: Dispatch, aggregates: readonly AnyAggregateDefinition[], observer: Observer): Dispatch {
  const handled = observer.commandHandled;
  if (handled === undefined) return send;
  const labels = commandLabels(aggregates);
  const report = (command: Command, started: number, result: CommandResult): CommandResult => {
    const { aggregate, type } = labels(command);
    handled({ aggregate, type, code: result.ok ? 'ok' : result.error.code, seconds: (performance.now() - started) / 1000 });
    return result;
  };
  return (command) => {
    const started = performance.now();
    return send(command).then((result) => report(command, started, result));
  };
}
