import type { RecentEntry } from './recentCommits.js';

/**
 * What an aggregate snapshot stores in `Snapshot.state`: the XState persisted snapshot, the
 * machine version it was taken with (snapshots of another version are ignored, so changing a
 * machine never restores a state shape it no longer understands), and the recent commits, so that
 * a retried command is still recognised after a reload.
 *
 * @example
 * ```ts
 * const state: SnapshotState = { format: 1, machineVersion: '2', machine: persisted, recent: [[-1203547712, 100, 1, 5123]] };
 * ```
 */
export type SnapshotState = {
  readonly format: 1;
  readonly machineVersion: string | null;
  readonly machine: unknown;
  /** Recent commits, oldest first. */
  readonly recent: readonly RecentEntry[];
};

/**
 * Builds the snapshot state.
 *
 * @example
 * ```ts
 * const state = toSnapshotState(machine.version, instance.persistedState(), recent.entries());
 * ```
 */
export function toSnapshotState(machineVersion: string | undefined, machine: unknown, recent: readonly RecentEntry[]): SnapshotState {
  return { format: 1, machineVersion: machineVersion ?? null, machine, recent };
}

function isRecentEntry(value: unknown): value is RecentEntry {
  return Array.isArray(value) && value.length === 4 && value.every((n) => Number.isSafeInteger(n));
}

/**
 * Reads a snapshot state back; `undefined` when it is of another format or machine version, or
 * malformed, in which case the caller replays from the start instead.
 *
 * @example
 * ```ts
 * const state = fromSnapshotState(snapshot.state, machine.version);
 * if (state) restore(state.machine);
 * ```
 */
export function fromSnapshotState(value: unknown, machineVersion: string | undefined): SnapshotState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const state = value as Partial<SnapshotState>;
  if (state.format !== 1 || state.machineVersion !== (machineVersion ?? null)) return undefined;
  if (typeof state.machine !== 'object' || state.machine === null) return undefined;
  if (!Array.isArray(state.recent) || !state.recent.every(isRecentEntry)) return undefined;
  return state as SnapshotState;
}
