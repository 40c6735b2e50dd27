import { isDeepStrictEqual } from 'node:util';
import { compareKeys, type Database } from 'lmdb';
import type { ViewChange } from './projection.js';

/**
 * The changes that turn view `before` into view `after`, all stamped `position`: what a rebuild's
 * swap emits, so that change-stream subscribers follow the swap. One merge walk over both key
 * ranges, in LMDB key order.
 *
 * @example
 * ```ts
 * for (const change of diffViews('OrderSummary', old.data, rebuilt.data, swapPosition)) changes.next(change);
 * ```
 */
export function diffViews(
  projection: string,
  before: Database<unknown, string>,
  after: Database<unknown, string>,
  position: number,
): ViewChange[] {
  const out: ViewChange[] = [];
  const a = before.getRange()[Symbol.iterator]();
  const b = after.getRange()[Symbol.iterator]();
  let x = a.next();
  let y = b.next();
  while (!x.done || !y.done) {
    const order = x.done ? 1 : y.done ? -1 : compareKeys(x.value.key, y.value.key);
    if (order < 0 && !x.done) {
      out.push({ projection, key: x.value.key, value: null, position });
      x = a.next();
    } else if (order > 0 && !y.done) {
      out.push({ projection, key: y.value.key, value: y.value.value, position });
      y = b.next();
    } else if (!x.done && !y.done) {
      if (!isDeepStrictEqual(x.value.value, y.value.value)) out.push({ projection, key: y.value.key, value: y.value.value, position });
      x = a.next();
      y = b.next();
    }
  }
  return out;
}
