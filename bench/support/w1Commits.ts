import { encodeCommitRecord } from '../../src/eventLog/commitRecord.js';
import type { W1 } from './w1.js';

/**
 * One commit a correct run of W1 appends, as the log stores it.
 *
 * @example
 * ```ts
 * const [first] = w1Commits(w1); // { id: 'acc-0', commandId: 'w1-open-0', version: 1, bytes }
 * ```
 */
export type W1Commit = {
  readonly id: string;
  readonly commandId: string;
  readonly version: number;
  /** The stored record: the same msgpack bytes the log writes (`encodeCommitRecord`). */
  readonly bytes: Uint8Array;
};

/**
 * The commits of W1, decided by the model's rules (a Withdraw above the balance is rejected and
 * appends nothing), in workload order: what a raw baseline writes for the same workload. The
 * first `w1.open.length` are the OpenAccount commits.
 *
 * @example
 * ```ts
 * const commits = w1Commits(createW1({ accounts: 1000, operations: 10_000 }));
 * ```
 */
export function w1Commits(w1: W1): W1Commit[] {
  const versions = new Map<string, number>();
  const balances = new Map<string, number>();
  const out: W1Commit[] = [];
  const timestamp = Date.now();
  for (const c of [...w1.open, ...w1.operations]) {
    const amount = (c.payload as { amount?: number }).amount ?? 0;
    const balance = balances.get(c.id) ?? 0;
    let type: string;
    if (c.type === 'OpenAccount') type = 'AccountOpened';
    else if (c.type === 'Deposit') type = 'Deposited';
    else if (amount <= balance) type = 'Withdrawn';
    else continue;
    balances.set(c.id, type === 'Deposited' ? balance + amount : type === 'Withdrawn' ? balance - amount : 0);
    const version = (versions.get(c.id) ?? 0) + 1;
    versions.set(c.id, version);
    const commandId = c.commandId!;
    out.push({
      id: c.id,
      commandId,
      version,
      bytes: encodeCommitRecord({
        aggregate: 'Account',
        id: c.id,
        version,
        commandId,
        correlationId: commandId,
        causationId: commandId,
        timestamp,
        events: [{ type, data: c.payload }],
      }),
    });
  }
  return out;
}
