import type { StateValue } from 'xstate';

/**
 * A state value as people read it: `closed`, `open.active`, or `a.x, b.y` for parallel states.
 * Rejection and error messages name the state with it.
 *
 * @example
 * ```ts
 * describeState({ open: 'active' }); // 'open.active'
 * ```
 */
export function describeState(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, child]) => (child === undefined || (typeof child === 'object' && Object.keys(child).length === 0) ? key : `${key}.${describeState(child)}`))
    .join(', ');
}

/**
 * Whether two state values are the same configuration. XState builds a new value object on every
 * transition, so identity says nothing; this compares structure.
 *
 * @example
 * ```ts
 * sameStateValue({ open: 'active' }, { open: 'active' }); // true
 * ```
 */
export function sameStateValue(a: StateValue | undefined, b: StateValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && sameStateValue(a[k], b[k]));
}
