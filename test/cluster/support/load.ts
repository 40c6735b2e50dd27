import type { Command } from '../../../src/commands/command.js';
import type { CommandClient } from '../../../src/commands/commandClient.js';
import { record, type SentCommands } from '../../support/sentCommands.js';

/**
 * What {@link runLoad} saw: every answer, and when each command was finally acknowledged.
 *
 * @example
 * ```ts
 * const { sent, okTimes } = await load.done;
 * ```
 */
export type LoadResult = {
  readonly sent: SentCommands;
  readonly okTimes: number[];
  /** The acknowledgement times of each account's commands. */
  readonly okByAccount: Map<string, number[]>;
  readonly gaveUp: number;
};

/**
 * Keeps `workers` Deposit commands of 1 in flight on `ids` until `stop()`; each is sent again with
 * the same commandId after a timeout or a connection error (as a client should) until it is
 * answered, or until `giveUpMs` after the stop.
 *
 * @example
 * ```ts
 * const load = runLoad(remote, ids, { workers: 40 });
 * await sleep(2000);
 * const result = await load.stop();
 * ```
 */
export function runLoad(
  remote: CommandClient,
  ids: readonly string[],
  options: { workers: number; attemptTimeout: number; giveUpMs: number; tag: string },
): { stop(): Promise<LoadResult> } {
  const sent: SentCommands = new Map();
  const okTimes: number[] = [];
  const okByAccount = new Map<string, number[]>();
  let stopping = false;
  let stopAt = Infinity;
  let gaveUp = 0;
  let n = 0;
  const worker = async (w: number) => {
    while (!stopping) {
      const command: Command = {
        type: 'Deposit',
        aggregate: 'Account',
        id: ids[(n + w) % ids.length]!,
        payload: { amount: 1 },
        commandId: `${options.tag}-${n++}`,
      };
      for (;;) {
        const r = await remote.send(command, { timeout: options.attemptTimeout });
        record(sent, command, r);
        if (r.ok || !['timeout', 'connection', 'closed', 'conflict'].includes(r.error.code)) {
          if (r.ok) {
            const now = Date.now();
            okTimes.push(now);
            const times = okByAccount.get(command.id) ?? [];
            times.push(now);
            okByAccount.set(command.id, times);
          }
          break;
        }
        if (Date.now() > stopAt + options.giveUpMs) {
          gaveUp += 1;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  const all = Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w)));
  return {
    async stop() {
      stopping = true;
      stopAt = Date.now();
      await all;
      return { sent, okTimes, okByAccount, gaveUp };
    },
  };
}

/**
 * Acknowledged commands per `bucketMs` from `start`, for throughput over time.
 *
 * @example
 * ```ts
 * throughput(result.okTimes, startedAt, 500); // [812, 790, 0, 12, 640, ...]
 * ```
 */
export function throughput(okTimes: readonly number[], start: number, bucketMs: number): number[] {
  const buckets: number[] = [];
  for (const t of okTimes) {
    const i = Math.floor((t - start) / bucketMs);
    if (i < 0) continue;
    while (buckets.length <= i) buckets.push(0);
    buckets[i]! += 1;
  }
  return buckets;
}

/**
 * The longest time with no acknowledgement after `from`.
 *
 * @example
 * ```ts
 * const takeover = longestGap(result.okTimes, killedAt);
 * ```
 */
export function longestGap(okTimes: readonly number[], from: number): number {
  const after = okTimes.filter((t) => t >= from).sort((a, b) => a - b);
  let gap = after.length > 0 ? after[0]! - from : Infinity;
  for (let i = 1; i < after.length; i++) gap = Math.max(gap, after[i]! - after[i - 1]!);
  return gap;
}

/**
 * How long after `from` the slowest account got its first acknowledgement: after a node is killed,
 * the time until its aggregates were served again (the others' were never interrupted).
 *
 * @example
 * ```ts
 * const takeoverMs = slowestResume(result.okByAccount, killedAt);
 * ```
 */
export function slowestResume(okByAccount: ReadonlyMap<string, readonly number[]>, from: number): number {
  let slowest = 0;
  for (const times of okByAccount.values()) {
    const first = times.find((t) => t >= from);
    slowest = Math.max(slowest, first === undefined ? Infinity : first - from);
  }
  return slowest;
}
