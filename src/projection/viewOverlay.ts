import { NotFoundError, ValidationError } from '../errors.js';
import type { ProjectionDefinition } from './defineProjection.js';
import type { ViewChange } from './projection.js';
import type { IndexKey, View } from './view.js';
import type { ViewStore } from './viewEnvironment.js';

/**
 * A batch's writes to one view, buffered in memory on top of the committed view until `flush()`
 * writes them inside the runner's transaction. Handlers run before any transaction opens, so a
 * handler that throws leaves nothing to undo; repeated writes to one key (a totals row) cost one
 * LMDB put per batch.
 *
 * @example
 * ```ts
 * const overlay = createViewOverlay(store, definition, { collect: true });
 * overlay.position = commit.position;
 * handler(overlay.view, event, envelope);
 * await env.root.transaction(() => env.root.transactionSync(() => overlay.flush()));
 * ```
 */
export type ViewOverlay = {
  readonly view: View<unknown>;
  /** Position of the commit being applied: stamps the changes recorded. */
  position: number;
  /** Keys written in this batch. */
  readonly size: number;
  /** Changes in position order (one per key and commit), when collecting; else empty. */
  readonly changes: readonly ViewChange[];
  /**
   * The batch's net effect, one change per key written, all stamped `position`: for a subscriber
   * that arrived after the batch began, when its changes were not being collected.
   */
  folded(position: number): ViewChange[];
  /** Writes the buffered values and index entries. Call inside an LMDB write transaction. */
  flush(): void;
};

type Entry = {
  /** undefined: deleted. */
  value: unknown;
  /** Index keys of `value`, per index. */
  indexKeys: Map<string, readonly IndexKey[]> | undefined;
};

const MAX_KEY_BYTES = 1978;

function assertKey(projection: string, key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new ValidationError(`projection ${projection}: view keys are non-empty strings, got ${JSON.stringify(key)}`, {
      projection,
    });
  }
  if (key.length > MAX_KEY_BYTES / 3 && Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new ValidationError(`projection ${projection}: view key is longer than ${MAX_KEY_BYTES} bytes`, { projection });
  }
}

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Creates the overlay of one batch over `store`.
 *
 * @example
 * ```ts
 * const overlay = createViewOverlay(runner.store, definition, { collect: changes.observed });
 * ```
 */
export function createViewOverlay(
  store: ViewStore,
  definition: ProjectionDefinition,
  options: { collect: boolean },
): ViewOverlay {
  const projection = definition.name;
  const { data, indexes } = store;
  const indexFns = definition.indexes;
  const dirty = new Map<string, Entry>();
  // Per index: index key → primary keys whose CURRENT (dirty) value it files there.
  const batchIndex = new Map<string, Map<IndexKey, Set<string>>>();
  const changes: ViewChange[] = [];
  const lastChange = new Map<string, number>();

  const indexKeysOf = (value: unknown, key: string): Map<string, readonly IndexKey[]> | undefined => {
    if (indexFns.size === 0) return undefined;
    const out = new Map<string, readonly IndexKey[]>();
    for (const [name, fn] of indexFns) {
      const raw = fn(value, key);
      const list = raw === undefined ? [] : Array.isArray(raw) ? [...new Set(raw as readonly IndexKey[])] : [raw as IndexKey];
      for (const k of list) {
        if (!(typeof k === 'string' && k !== '') && !(typeof k === 'number' && Number.isFinite(k))) {
          throw new ValidationError(`projection ${projection}: index ${name} returned ${JSON.stringify(k)} for key ${key}; index keys are non-empty strings or finite numbers`, {
            projection,
            index: name,
            key,
          });
        }
      }
      out.set(name, list);
    }
    return out;
  };

  const fileInBatchIndex = (key: string, keys: Map<string, readonly IndexKey[]> | undefined, add: boolean) => {
    if (!keys) return;
    for (const [name, list] of keys) {
      let byValue = batchIndex.get(name);
      if (!byValue) batchIndex.set(name, (byValue = new Map()));
      for (const k of list) {
        let set = byValue.get(k);
        if (add) {
          if (!set) byValue.set(k, (set = new Set()));
          set.add(key);
        } else set?.delete(key);
      }
    }
  };

  const record = (key: string, value: unknown) => {
    if (!options.collect) return;
    const at = lastChange.get(key);
    const change: ViewChange = { projection, key, value: value === undefined ? null : value, position: overlay.position };
    if (at !== undefined && changes[at]!.position === overlay.position) changes[at] = change;
    else {
      lastChange.set(key, changes.length);
      changes.push(change);
    }
  };

  const set = (key: string, value: unknown) => {
    const entry = dirty.get(key);
    const indexKeys = value === undefined ? undefined : indexKeysOf(value, key);
    if (entry) {
      fileInBatchIndex(key, entry.indexKeys, false);
      entry.value = value;
      entry.indexKeys = indexKeys;
    } else dirty.set(key, { value, indexKeys });
    fileInBatchIndex(key, indexKeys, true);
    record(key, value);
  };

  const get = (key: string): unknown => {
    const entry = dirty.get(key);
    return entry ? entry.value : data.get(key);
  };
  const has = (key: string): boolean => {
    const entry = dirty.get(key);
    return entry ? entry.value !== undefined : data.doesExist(key);
  };

  const view: View<unknown> = {
    get(key) {
      assertKey(projection, key);
      return get(key);
    },
    has(key) {
      assertKey(projection, key);
      return has(key);
    },
    put(key, value) {
      assertKey(projection, key);
      if (value === undefined || value === null) {
        throw new ValidationError(`projection ${projection}: cannot put ${String(value)} at ${key}; use delete()`, { projection, key });
      }
      set(key, value);
    },
    update(key, fn) {
      assertKey(projection, key);
      const next = fn(get(key));
      view.put(key, next);
      return next;
    },
    delete(key) {
      assertKey(projection, key);
      if (has(key)) set(key, undefined);
    },
    index(name) {
      const db = indexes.get(name);
      if (!db) throw new NotFoundError(`projection ${projection} has no index named ${JSON.stringify(name)}`, { projection, index: name });
      return {
        keys(value) {
          const out: string[] = [];
          for (const key of db.getValues(value)) if (!dirty.has(key)) out.push(key);
          const added = batchIndex.get(name)?.get(value);
          if (added) out.push(...added);
          // Sorted whatever the batch boundaries were, so that replays see the same order.
          return out.sort(byKey);
        },
      };
    },
  };

  const overlay: ViewOverlay = {
    view,
    position: 0,
    get size() {
      return dirty.size;
    },
    changes,
    folded(position) {
      return [...dirty].map(([key, entry]) => ({ projection, key, value: entry.value === undefined ? null : entry.value, position }));
    },
    flush() {
      for (const [key, entry] of dirty) {
        if (indexes.size > 0) {
          const old = data.get(key);
          const before = old === undefined ? undefined : indexKeysOf(old, key);
          for (const [name, db] of indexes) {
            const was = before?.get(name) ?? [];
            const now = entry.indexKeys?.get(name) ?? [];
            for (const k of was) if (!now.includes(k)) db.removeSync(k, key);
            for (const k of now) if (!was.includes(k)) db.putSync(k, key);
          }
        }
        if (entry.value === undefined) data.removeSync(key);
        else data.putSync(key, entry.value);
      }
    },
  };
  return overlay;
}
