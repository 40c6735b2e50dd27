/**
 * The assertions {@link describeEventLog} makes, as a structural type that vitest's and jest's
 * `expect` both satisfy, so that `tributary/testing` imports no test runner.
 *
 * @example
 * ```ts
 * import { expect } from 'vitest';
 * const check: (actual: unknown) => Matchers = expect;
 * ```
 */
export type Matchers = {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toStrictEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toHaveLength(length: number): void;
  toContain(item: unknown): void;
  toBeDefined(): void;
  toBeUndefined(): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeLessThan(n: number): void;
  toBeLessThanOrEqual(n: number): void;
  toBeInstanceOf(type: abstract new (...args: never[]) => unknown): void;
  toThrow(expected?: string | RegExp): void;
  readonly not: Omit<Matchers, 'not' | 'rejects' | 'resolves'>;
  readonly rejects: PromisedMatchers;
  readonly resolves: PromisedMatchers;
};

/**
 * {@link Matchers} on a promise's outcome (`expect(p).rejects`, `expect(p).resolves`).
 *
 * @example
 * ```ts
 * await expect(log.append('Account', 'a-1', [], { commandId: 'c', expectedVersion: 9 })).rejects.toBeInstanceOf(ConcurrencyError);
 * ```
 */
export type PromisedMatchers = {
  [K in Exclude<keyof Matchers, 'not' | 'rejects' | 'resolves'>]: (...args: Parameters<Matchers[K]>) => Promise<void>;
};

/**
 * The test runner a suite of `tributary/testing` registers its tests with: pass your runner's
 * `describe`, `it` and `expect` (vitest, jest, or anything shaped alike).
 *
 * @example
 * ```ts
 * import { describe, expect, it } from 'vitest';
 * const runner: TestRunner = { describe, it, expect };
 * ```
 */
export type TestRunner = {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>, timeout?: number): void;
  expect(actual: unknown): Matchers;
};
