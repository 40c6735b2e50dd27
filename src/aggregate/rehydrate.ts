import { InternalError, TributaryError } from '../errors.js';
import { createAggregateInstance, type AggregateInstance, type InstanceStart } from './aggregateInstance.js';
import type { HostState } from './hostState.js';
import { fromSnapshotState, toSnapshotState } from './snapshotState.js';

/**
 * Saves a snapshot when this version crossed a multiple of `snapshotEvery`. Fire-and-forget: a
 * snapshot only ever saves load time, so it must never slow or fail a command.
 *
 * @example
 * ```ts
 * maybeSnapshot(host, self, versionBefore);
 * ```
 */
export function maybeSnapshot(host: HostState, self: AggregateInstance, before: number): void {
  const { definition, aggregate, id, log, logger } = host;
  const every = definition.snapshotEvery;
  if (every === undefined || Math.floor(self.version / every) === Math.floor(before / every)) return;
  const fields = { aggregate, id, version: self.version };
  try {
    const state = toSnapshotState(definition.machine.version, self.persistedState(), host.recent.entries());
    const saving = log.snapshots
      .save(aggregate, id, { version: self.version, position: self.position, state })
      .catch((err: unknown) => logger.warn({ ...fields, err }, 'saving an aggregate snapshot failed; it only costs load time'));
    host.track?.(saving);
  } catch (err) {
    logger.warn({ ...fields, err }, 'taking an aggregate snapshot failed; it only costs load time');
  }
}

/**
 * Applies the events another writer appended since the instance's version. Events are immutable,
 * so catching up only needs the events after ours.
 *
 * @example
 * ```ts
 * await catchUp(host, self); // after a ConcurrencyError
 * ```
 */
export async function catchUp(host: HostState, self: AggregateInstance): Promise<void> {
  const envelopes = await host.log.readStream(host.aggregate, host.id, { fromVersion: self.version + 1 });
  if (envelopes.length === 0) return;
  const before = self.version;
  host.stages.evolve(self, envelopes);
  host.recent.addEnvelopes(envelopes);
  maybeSnapshot(host, self, before);
}

async function loadSnapshot(host: HostState): Promise<InstanceStart | undefined> {
  const { aggregate, id } = host;
  const snapshot = await host.log.snapshots.load(aggregate, id);
  if (snapshot === undefined) return undefined;
  const state = fromSnapshotState(snapshot.state, host.definition.machine.version);
  if (state === undefined) {
    host.logger.warn({ aggregate, id, version: snapshot.version }, 'ignoring an aggregate snapshot of another format or machine version');
    return undefined;
  }
  host.recent.addEntries(state.recent);
  return { state: state.machine, version: snapshot.version, position: snapshot.position };
}

async function load(host: HostState): Promise<AggregateInstance> {
  const { definition, aggregate, id, recent } = host;
  recent.clear();
  const start = definition.snapshotEvery === undefined ? undefined : await loadSnapshot(host);
  let loaded: AggregateInstance;
  try {
    loaded = createAggregateInstance(definition, id, start);
  } catch (err) {
    if (start === undefined) throw err;
    // Snapshots only ever change speed: one the machine cannot restore is replaced by a full replay.
    host.logger.warn({ aggregate, id, err }, 'an aggregate snapshot could not be restored; replaying all events');
    recent.clear();
    loaded = createAggregateInstance(definition, id);
  }
  try {
    await catchUp(host, loaded);
  } catch (err) {
    throw err instanceof TributaryError ? err : new InternalError(`loading ${aggregate} ${id} failed: ${String(err)}`, { aggregate, id });
  }
  return loaded;
}

/**
 * The host's instance, rehydrated from the log (snapshot, then the events after it) on first use.
 *
 * @example
 * ```ts
 * const self = host.instance ?? (await current(host));
 * ```
 */
export async function current(host: HostState): Promise<AggregateInstance> {
  return (host.instance ??= await load(host));
}
