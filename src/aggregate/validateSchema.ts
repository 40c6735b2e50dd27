import type { StandardSchemaV1 } from '@standard-schema/spec';

/**
 * One schema issue in wire form: a dotted path (empty at the root) and the validator's message.
 *
 * @example
 * ```ts
 * const issue: SchemaIssue = { path: 'amount', message: 'Too small: expected number to be >0' };
 * ```
 */
export type SchemaIssue = { readonly path: string; readonly message: string };

/**
 * The outcome of {@link validateSchema}: the validated (possibly transformed) value, or issues.
 *
 * @example
 * ```ts
 * const outcome: SchemaOutcome = { ok: false, issues: [{ path: 'email', message: 'Invalid email address' }] };
 * ```
 */
export type SchemaOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issues: SchemaIssue[] };

function pathOf(issue: StandardSchemaV1.Issue): string {
  if (issue.path === undefined) return '';
  return issue.path.map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
}

function toOutcome(result: StandardSchemaV1.Result<unknown>): SchemaOutcome {
  if (result.issues === undefined) return { ok: true, value: result.value };
  return { ok: false, issues: result.issues.map((i) => ({ path: pathOf(i), message: i.message })) };
}

/**
 * Runs a Standard Schema validator. Stays synchronous when the validator is, so that the hot
 * path of a command does not pay for a promise; returns a promise only for async validators.
 *
 * @example
 * ```ts
 * let outcome = validateSchema(schema, payload);
 * if (outcome instanceof Promise) outcome = await outcome;
 * ```
 */
export function validateSchema(schema: StandardSchemaV1, value: unknown): SchemaOutcome | Promise<SchemaOutcome> {
  const result = schema['~standard'].validate(value);
  return result instanceof Promise ? result.then(toOutcome) : toOutcome(result);
}

/**
 * Issues as one readable line, for error messages.
 *
 * @example
 * ```ts
 * formatIssues([{ path: 'amount', message: 'Too small' }]); // 'amount: Too small'
 * ```
 */
export function formatIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
}
