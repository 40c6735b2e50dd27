import type { CommitRecord } from '../../src/eventLog/commitRecord.js';
import { createPrng } from '../../src/testing/prng.js';

const OPENED = 0;
const DEPOSITED = 1;
const WITHDRAWN = 2;
const TYPES = ['AccountOpened', 'Deposited', 'Withdrawn'] as const;

/**
 * A W1-like log of exactly `count` accepted Account events, one per commit, kept in typed arrays
 * (a million commits as objects would dominate the bench's memory), with the outcome a correct
 * projection must reach, computed here by plain arithmetic.
 *
 * @example
 * ```ts
 * const events: AccountEvents = createAccountEvents({ accounts: 100, count: 1000 });
 * console.log(events.record(0).events[0]?.type, events.expected.total);
 * ```
 */
export type AccountEvents = {
  readonly count: number;
  readonly accounts: number;
  /** The commit record of event `i` (0-based; it lands at position i + 1 in an empty log). */
  record(i: number): CommitRecord;
  /** Account id of event `i`. */
  idOf(i: number): string;
  readonly expected: {
    readonly balances: Float64Array;
    readonly total: number;
    readonly opened: number;
    readonly deposits: number;
    readonly withdrawals: number;
  };
};

/**
 * Generates the log: `accounts` AccountOpened events, then Deposited/Withdrawn spread over the
 * accounts by a seeded PRNG (a withdrawal takes part of the balance; from an empty account it is
 * a deposit instead, as in W1, so every event is one an Account would accept).
 *
 * @example
 * ```ts
 * const events = createAccountEvents({ accounts: 10_000, count: 1_000_000, seed: 1 });
 * await log.append('Account', events.idOf(0), events.record(0).events, { commandId: events.record(0).commandId });
 * ```
 */
export function createAccountEvents(options: { accounts: number; count: number; seed?: number }): AccountEvents {
  const { accounts, count } = options;
  const rand = createPrng(options.seed ?? 1);
  const kind = new Uint8Array(count);
  const account = new Uint32Array(count);
  const amount = new Uint32Array(count);
  const version = new Uint32Array(count);
  const balances = new Float64Array(accounts);
  const versions = new Uint32Array(accounts);
  let deposits = 0;
  let withdrawals = 0;
  for (let i = 0; i < count; i++) {
    const a = i < accounts ? i : Math.floor(rand.next() * accounts);
    account[i] = a;
    version[i] = ++versions[a]!;
    if (i < accounts) {
      kind[i] = OPENED;
      continue;
    }
    const balance = balances[a]!;
    if (rand.next() < 0.5 && balance > 0) {
      const x = 1 + Math.floor(rand.next() * balance);
      kind[i] = WITHDRAWN;
      amount[i] = x;
      balances[a] = balance - x;
      withdrawals++;
    } else {
      const x = 1 + Math.floor(rand.next() * 1000);
      kind[i] = DEPOSITED;
      amount[i] = x;
      balances[a] = balance + x;
      deposits++;
    }
  }
  let total = 0;
  for (const b of balances) total += b;
  const timestamp = Date.UTC(2026, 0, 1);
  const idOf = (i: number) => `acc-${account[i]!}`;
  return {
    count,
    accounts: Math.min(accounts, count),
    idOf,
    record(i) {
      const commandId = `p-${i}`;
      const k = kind[i]!;
      return {
        aggregate: 'Account',
        id: idOf(i),
        version: version[i]!,
        commandId,
        correlationId: commandId,
        causationId: commandId,
        timestamp: timestamp + i,
        events: [{ type: TYPES[k]!, data: k === OPENED ? { owner: `owner-${account[i]!}` } : { amount: amount[i]! } }],
      };
    },
    expected: { balances, total, opened: Math.min(accounts, count), deposits, withdrawals },
  };
}
