import type { InstanceRecord, OutboxEntry, ProcessInput } from './processInstance.js';

/**
 * Everything a process runner restarts from.
 *
 * @example
 * ```ts
 * const { checkpoint, instances, outbox } = await store.load();
 * ```
 */
export type ProcessStoreState = {
  /** The last log position taken. */
  readonly checkpoint: number;
  readonly instances: ReadonlyMap<string, InstanceRecord>;
  /** Commands without an answer yet, by commandId, in the order they were decided. */
  readonly outbox: ReadonlyMap<string, OutboxEntry>;
};

/**
 * One atomic change of a process's durable state: instance records, the inputs they took, the
 * commands they decided (outbox entries added), the answered ones (removed) and the checkpoint.
 *
 * @example
 * ```ts
 * await store.commit({ checkpoint: 42, instances: [record], inputs: [{ instance: 'o-1', number: 1, input }], added: [entry], removed: [] });
 * ```
 */
export type ProcessChange = {
  readonly checkpoint?: number;
  readonly instances: readonly InstanceRecord[];
  readonly inputs: readonly { readonly instance: string; readonly number: number; readonly input: ProcessInput }[];
  readonly added: readonly OutboxEntry[];
  readonly removed: readonly string[];
};

/**
 * Where a process keeps its state: all of a {@link ProcessChange} is written, or none of it.
 * The embedded engine keeps it in LMDB (`createLmdbProcessStore`).
 *
 * @example
 * ```ts
 * const store = createLmdbProcessStore(env, 'Fulfilment');
 * await store.commit(change);
 * ```
 */
export type ProcessStore = {
  load(): Promise<ProcessStoreState>;
  commit(change: ProcessChange): Promise<void>;
  /** The inputs an instance took, in order: replaying them gives its state and commands again. */
  recordedInputs(instance: string): Promise<ProcessInput[]>;
};
