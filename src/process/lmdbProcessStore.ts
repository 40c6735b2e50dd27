import { mkdirSync } from 'node:fs';
import { open, type RootDatabase } from 'lmdb';
import type { InstanceRecord, OutboxEntry, ProcessInput } from './processInstance.js';
import type { ProcessStore } from './processStore.js';

/**
 * The LMDB environment of the processes of an app (`<dataDir>/processes`): per process, the
 * databases `state/<name>` (instance → record), `outbox/<name>` (decision order → entry),
 * `inputs/<name>` ([instance, n] → input) and its checkpoint in `meta`.
 *
 * @example
 * ```ts
 * const env = openProcessEnvironment(path.join(dataDir, 'processes'));
 * const store = createLmdbProcessStore(env, 'Fulfilment');
 * await env.close();
 * ```
 */
export type ProcessEnvironment = { readonly root: RootDatabase; close(): Promise<void> };

/**
 * Opens (creating when missing) the processes' environment at `path`.
 *
 * @example
 * ```ts
 * const env = openProcessEnvironment('./data/processes');
 * ```
 */
export function openProcessEnvironment(path: string): ProcessEnvironment {
  mkdirSync(path, { recursive: true });
  const root = open({ path, maxDbs: 256 });
  return { root, close: () => root.close() };
}

/**
 * A {@link ProcessStore} in LMDB: every commit is one LMDB transaction. The outbox is keyed by a
 * sequence number so that a restart dispatches in decision order.
 *
 * @example
 * ```ts
 * const store = createLmdbProcessStore(openProcessEnvironment('./data/processes'), 'Fulfilment');
 * ```
 */
export function createLmdbProcessStore(env: ProcessEnvironment, name: string): ProcessStore {
  const { root } = env;
  const meta = root.openDB<number, string>({ name: 'meta' });
  const state = root.openDB<InstanceRecord, string>({ name: `state/${name}` });
  const outbox = root.openDB<OutboxEntry, number>({ name: `outbox/${name}` });
  const inputs = root.openDB<ProcessInput, [string, number]>({ name: `inputs/${name}` });
  const bySeq = new Map<string, number>();
  let seq = 0;
  return {
    async load() {
      const instances = new Map<string, InstanceRecord>();
      for (const { key, value } of state.getRange()) instances.set(key, value);
      const entries = new Map<string, OutboxEntry>();
      for (const { key, value } of outbox.getRange()) {
        entries.set(value.command.commandId, value);
        bySeq.set(value.command.commandId, key);
        seq = Math.max(seq, key);
      }
      return { checkpoint: meta.get(`checkpoint/${name}`) ?? 0, instances, outbox: entries };
    },
    async commit(change) {
      // An async transaction callback that throws still commits its writes (lmdb-js), so the work
      // runs in a nested synchronous, abortable transaction.
      const added: [string, number][] = [];
      await root.transaction(() =>
        root.transactionSync(() => {
          for (const record of change.instances) state.putSync(record.id, record);
          for (const { instance, number, input } of change.inputs) inputs.putSync([instance, number], input);
          for (const entry of change.added) {
            const key = seq + added.length + 1;
            outbox.putSync(key, entry);
            added.push([entry.command.commandId, key]);
          }
          for (const commandId of change.removed) {
            const key = bySeq.get(commandId) ?? added.find(([c]) => c === commandId)?.[1];
            if (key !== undefined) outbox.removeSync(key);
          }
          if (change.checkpoint !== undefined) meta.putSync(`checkpoint/${name}`, change.checkpoint);
        }),
      );
      seq += added.length;
      for (const [commandId, key] of added) bySeq.set(commandId, key);
      for (const commandId of change.removed) bySeq.delete(commandId);
    },
    async recordedInputs(instance) {
      const out: ProcessInput[] = [];
      for (const { value } of inputs.getRange({ start: [instance, 0], end: [instance, Number.MAX_SAFE_INTEGER] })) out.push(value);
      return out;
    },
  };
}
