/**
 * Comparison with readable failures: a shrunk counterexample should say WHICH view, key and field
 * differ ("OrderSummary['o1'].itemCount: expected 3, got 2"), not dump two whole read states.
 */
import { isDeepStrictEqual } from 'node:util';
import { PROJECTIONS, type IndexState, type ReadState } from '../model/readModels.js';
import type { Projections } from '../../../src/index.js';

const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// Absent and undefined fields are the same thing once stored.
const defined = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);

/** The differences between two plain values, as "path: expected X, got Y" lines. */
export function differences(expected: unknown, actual: unknown, at = ''): string[] {
  if (isObject(expected) && isObject(actual)) {
    const keys = [...new Set([...defined(expected), ...defined(actual)])].sort();
    return keys.flatMap((k) => differences(expected[k], actual[k], `${at}[${JSON.stringify(k)}]`));
  }
  if (Array.isArray(expected) && Array.isArray(actual) && expected.length === actual.length) {
    return expected.flatMap((e, i) => differences(e, actual[i], `${at}[${i}]`));
  }
  if (isDeepStrictEqual(expected, actual)) return [];
  return [`${at || '(value)'}: expected ${show(expected)}, got ${show(actual)}`];
}

/** Throws a readable error when `actual` differs from `expected`. */
export function assertSame(what: string, expected: unknown, actual: unknown): void {
  const diff = differences(expected, actual);
  if (diff.length === 0) return;
  const shown = diff.slice(0, 12);
  if (diff.length > shown.length) shown.push(`... and ${diff.length - shown.length} more`);
  throw new Error(`${what} differs:\n  ${shown.join('\n  ')}`);
}

/** Every entry of every example view. */
export async function readViews(projections: Projections): Promise<ReadState> {
  const state: ReadState = {};
  for (const name of PROJECTIONS) {
    const view: Record<string, unknown> = {};
    for (const { key, value } of await projections.get(name).entries()) view[key] = value;
    state[name] = view;
  }
  return state;
}

/** The example views' secondary indexes, looked up for every value in `candidates` and the expected ones. */
export async function readIndexes(projections: Projections, expected: IndexState, candidates: Record<string, readonly string[]>): Promise<IndexState> {
  const state: IndexState = {};
  for (const [projection, indexes] of Object.entries(expected)) {
    state[projection] = {};
    for (const [index, filed] of Object.entries(indexes)) {
      const found: Record<string, string[]> = {};
      for (const value of new Set([...Object.keys(filed), ...(candidates[index] ?? [])])) {
        const keys = (await projections.get(projection).lookup(index, value)).map((e) => e.key).sort();
        if (keys.length > 0) found[value] = keys;
      }
      state[projection]![index] = found;
    }
  }
  return state;
}
