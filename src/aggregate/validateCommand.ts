import { UnknownCommandError, ValidationError, type TributaryError } from '../errors.js';
import type { AnyAggregateDefinition } from './defineAggregate.js';
import { formatIssues, validateSchema, type SchemaOutcome } from './validateSchema.js';

/**
 * The outcome of {@link validateCommand}: the payload as the schema output it, or the typed error.
 *
 * @example
 * ```ts
 * const checked: CheckedCommand = { ok: true, payload: { amount: 10 } };
 * ```
 */
export type CheckedCommand = { readonly ok: true; readonly payload: unknown } | { readonly ok: false; readonly error: TributaryError };

function toChecked(definition: AnyAggregateDefinition, type: string, outcome: SchemaOutcome): CheckedCommand {
  if (outcome.ok) return { ok: true, payload: outcome.value };
  return {
    ok: false,
    error: new ValidationError(`invalid payload for ${definition.name}.${type}: ${formatIssues(outcome.issues)}`, {
      aggregate: definition.name,
      type,
      issues: outcome.issues,
    }),
  };
}

/**
 * Checks that the aggregate has this command type and that the payload passes its schema. The
 * one boundary check shared by in-process dispatch and `given()`. Synchronous unless the schema
 * is async.
 *
 * @example
 * ```ts
 * let checked = validateCommand(Account, 'Deposit', { amount: -1 });
 * if (checked instanceof Promise) checked = await checked;
 * if (!checked.ok) return { ok: false, error: checked.error.toShape() }; // code 'invalid'
 * ```
 */
export function validateCommand(
  definition: AnyAggregateDefinition,
  type: string,
  payload: unknown,
): CheckedCommand | Promise<CheckedCommand> {
  if (!Object.hasOwn(definition.commands, type)) {
    const known = Object.keys(definition.commands);
    return {
      ok: false,
      error: new UnknownCommandError(
        `aggregate ${definition.name} has no command ${JSON.stringify(type)}; its commands are ${known.join(', ')}`,
        { aggregate: definition.name, type, known },
      ),
    };
  }
  const outcome = validateSchema(definition.commands[type]!, payload);
  return outcome instanceof Promise ? outcome.then((o) => toChecked(definition, type, o)) : toChecked(definition, type, outcome);
}
