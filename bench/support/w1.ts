import type { Command } from '../../src/index.js';
import { createPrng } from '../../src/testing/prng.js';

/** Options of {@link createW1}. */
export type W1Options = {
  accounts?: number;
  operations?: number;
  /** Share of withdrawals that ask for more than the balance (rejected with InsufficientFunds). */
  overdraw?: number;
  seed?: number;
};

/** The workload plus what a correct run must end with, computed by a plain-JS model. */
export type W1 = {
  open: Command[];
  operations: Command[];
  expected: {
    balances: Map<string, number>;
    versions: Map<string, number>;
    accepted: number;
    rejected: number;
    totalBalance: number;
  };
};

/**
 * Workload W1: `accounts` OpenAccount commands, then `operations` Deposit/Withdraw commands spread
 * over the accounts by a seeded PRNG, with about `overdraw` of the withdrawals overdrawing.
 * The expected outcome comes from a plain model that knows nothing of Tributary, so a fast wrong
 * answer cannot pass. Per-account order is what the model assumes: the framework keeps one
 * aggregate's commands serial, in arrival order.
 *
 * @example
 * ```ts
 * const w1 = createW1({ accounts: 10_000, operations: 100_000, seed: 1 });
 * ```
 */
export function createW1(options: W1Options = {}): W1 {
  const accounts = options.accounts ?? 10_000;
  const operations = options.operations ?? 100_000;
  const overdraw = options.overdraw ?? 0.1;
  const rand = createPrng(options.seed ?? 1);
  const balances = new Map<string, number>();
  const versions = new Map<string, number>();
  const open: Command[] = [];
  for (let i = 0; i < accounts; i++) {
    const id = `acc-${i}`;
    open.push({ type: 'OpenAccount', aggregate: 'Account', id, payload: { owner: `owner-${i}` }, commandId: `w1-open-${i}` });
    balances.set(id, 0);
    versions.set(id, 1);
  }
  const ops: Command[] = [];
  let accepted = 0;
  let rejected = 0;
  for (let i = 0; i < operations; i++) {
    const id = `acc-${Math.floor(rand.next() * accounts)}`;
    const balance = balances.get(id)!;
    const commandId = `w1-op-${i}`;
    const withdraw = rand.next() < 0.5;
    const overdrawing = withdraw && rand.next() < overdraw;
    if (overdrawing) {
      ops.push({ type: 'Withdraw', aggregate: 'Account', id, payload: { amount: balance + 1 + Math.floor(rand.next() * 100) }, commandId });
      rejected++;
    } else if (withdraw && balance > 0) {
      const amount = 1 + Math.floor(rand.next() * balance);
      ops.push({ type: 'Withdraw', aggregate: 'Account', id, payload: { amount }, commandId });
      balances.set(id, balance - amount);
      versions.set(id, versions.get(id)! + 1);
      accepted++;
    } else {
      // A withdrawal from an empty account would be a second kind of rejection; deposit instead
      // so that rejections stay at the configured share.
      const amount = 1 + Math.floor(rand.next() * 1000);
      ops.push({ type: 'Deposit', aggregate: 'Account', id, payload: { amount }, commandId });
      balances.set(id, balance + amount);
      versions.set(id, versions.get(id)! + 1);
      accepted++;
    }
  }
  let totalBalance = 0;
  for (const b of balances.values()) totalBalance += b;
  return { open, operations: ops, expected: { balances, versions, accepted, rejected, totalBalance } };
}

/**
 * The part of `w1` that touches the accounts `acc-i` with `i % count === index`, in workload
 * order, with the model's outcome for those accounts: one thread's share when W1 is sharded.
 *
 * @example
 * ```ts
 * const half = shardW1(createW1(), 0, 2); // acc-0, acc-2, ...
 * ```
 */
export function shardW1(w1: W1, index: number, count: number): W1 {
  const ours = (id: string) => Number(id.slice(id.indexOf('-') + 1)) % count === index;
  const mine = (c: Command) => ours(c.id);
  const balances = new Map([...w1.expected.balances].filter(([id]) => ours(id)));
  const versions = new Map([...w1.expected.versions].filter(([id]) => ours(id)));
  const operations = w1.operations.filter(mine);
  let accepted = 0;
  let totalBalance = 0;
  for (const v of versions.values()) accepted += v - 1;
  for (const b of balances.values()) totalBalance += b;
  return { open: w1.open.filter(mine), operations, expected: { balances, versions, accepted, rejected: operations.length - accepted, totalBalance } };
}
