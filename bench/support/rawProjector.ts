import { Decoder } from '@msgpack/msgpack';
import { open, type Database, type RootDatabase } from 'lmdb';

/**
 * A balance row of the same shape as the AccountBalance projection's.
 *
 * @example
 * ```ts
 * const row: RawBalanceRow = { accountId: 'acc-1', owner: 'o', balance: 0, status: 'open', openedAt: 0, updatedAt: 0, closedAt: null };
 * ```
 */
export type RawBalanceRow = {
  accountId: string;
  owner: string;
  balance: number;
  status: 'open' | 'closed';
  openedAt: number;
  updatedAt: number;
  closedAt: number | null;
};

/**
 * The totals row: the same figures as the bench's Totals projection.
 *
 * @example
 * ```ts
 * const totals: RawTotals = { accounts: 1, balance: 500, deposits: 1, withdrawals: 0 };
 * ```
 */
export type RawTotals = { accounts: number; balance: number; deposits: number; withdrawals: number };

type StoredCommit = {
  id: string;
  timestamp: number;
  events: Array<{ type: string; data: { owner?: string; amount?: number } }>;
};

/**
 * The raw baseline of the projections bench: what a careful hand-written projector does with
 * the same records, without the framework. Per batch: decode each commit record (@msgpack/msgpack,
 * the log's codec), fold the balance rows and the totals in a Map (each row read from LMDB at most
 * once per batch), then ONE LMDB transaction writing the rows, the totals and a checkpoint,
 * awaited before the next batch. The transaction is lmdb-js's asynchronous one, as the framework's
 * (a synchronous `transactionSync` commit waits for the disk each time: about 4x slower here).
 * The view databases use the same msgpackr shared structures as the framework's views.
 *
 * @example
 * ```ts
 * const raw = openRawProjector(dir);
 * await raw.apply([{ position: 1, bytes }]);
 * await raw.close();
 * ```
 */
export function openRawProjector(path: string) {
  const root: RootDatabase = open({ path });
  const structures = Symbol.for('structures');
  const balances: Database<RawBalanceRow, string> = root.openDB({ name: 'balances', sharedStructuresKey: structures });
  const totalsDb: Database<RawTotals, string> = root.openDB({ name: 'totals', sharedStructuresKey: structures });
  const meta: Database<number, string> = root.openDB({ name: 'meta' });
  const decoder = new Decoder();
  const totals: RawTotals = { accounts: 0, balance: 0, deposits: 0, withdrawals: 0 };
  let applied = 0;

  return {
    /** Applies one batch of stored commits, in position order, in one transaction. */
    async apply(batch: ReadonlyArray<{ position: number; bytes: Uint8Array }>): Promise<void> {
      const rows = new Map<string, RawBalanceRow>();
      for (const { bytes } of batch) {
        const commit = decoder.decode(bytes) as StoredCommit;
        for (const e of commit.events) {
          applied++;
          if (e.type === 'AccountOpened') {
            rows.set(commit.id, {
              accountId: commit.id,
              owner: e.data.owner ?? '',
              balance: 0,
              status: 'open',
              openedAt: commit.timestamp,
              updatedAt: commit.timestamp,
              closedAt: null,
            });
            totals.accounts++;
            continue;
          }
          const row = rows.get(commit.id) ?? balances.get(commit.id);
          if (row === undefined) throw new Error(`no account ${commit.id}`);
          const delta = e.type === 'Deposited' ? e.data.amount! : -e.data.amount!;
          rows.set(commit.id, { ...row, balance: row.balance + delta, updatedAt: commit.timestamp });
          totals.balance += delta;
          if (delta > 0) totals.deposits++;
          else totals.withdrawals++;
        }
      }
      const last = batch[batch.length - 1]!.position;
      await root.transaction(() => {
        for (const [id, row] of rows) balances.putSync(id, row);
        totalsDb.putSync('all', totals);
        meta.putSync('checkpoint', last);
      });
    },
    get applied() {
      return applied;
    },
    /** Sum of the stored balances and the stored totals row, read back for verification. */
    readBack(): { sum: number; rows: number; totals: RawTotals | undefined; balanceOf: (id: string) => number | undefined } {
      let sum = 0;
      let rows = 0;
      for (const { value } of balances.getRange()) {
        sum += value.balance;
        rows++;
      }
      return { sum, rows, totals: totalsDb.get('all'), balanceOf: (id) => balances.get(id)?.balance };
    },
    close: () => root.close(),
  };
}
