import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { IndexKey } from './view.js';

/**
 * The databases of one generation of one projection's view: its data and one dupsort database
 * per secondary index (index key → primary keys).
 *
 * @example
 * ```ts
 * const store = env.openStore('OrderSummary', 1, ['byCustomer']);
 * store.data.get('o-1');
 * ```
 */
export type ViewStore = {
  readonly projection: string;
  readonly generation: number;
  readonly data: Database<unknown, string>;
  readonly indexes: ReadonlyMap<string, Database<string, IndexKey>>;
};

/**
 * Keys of the metadata database, shared by every projection of an environment.
 * `checkpoint`: last position processed, written in the same transaction as the view's changes.
 * `generation`: the generation serving reads; a rebuild writes the next one, then swaps this pointer.
 * `indexes`: the index names the current generation was built with.
 * `skip`: a skipped poison event, by position and index in its commit.
 *
 * @example
 * ```ts
 * env.meta.get(checkpointKey('AccountBalance'));
 * ```
 */
export type MetaKey = ['checkpoint', string] | ['generation', string] | ['indexes', string] | ['version', string] | ['skip', string, number, number];

/** @example `env.meta.get(checkpointKey('AccountBalance')) as number | undefined` */
export const checkpointKey = (projection: string): MetaKey => ['checkpoint', projection];
/** @example `env.meta.get(generationKey('AccountBalance')) as number | undefined` */
export const generationKey = (projection: string): MetaKey => ['generation', projection];
/** @example `env.meta.get(versionKey('OrderSummary')) as number | undefined` (absent: 1) */
export const versionKey = (projection: string): MetaKey => ['version', projection];
/** @example `env.meta.get(indexesKey('OrderSummary')) as string[] | undefined` */
export const indexesKey = (projection: string): MetaKey => ['indexes', projection];
/** @example `env.meta.putSync(skipKey('OrderSummary', 17, 0), record)` */
export const skipKey = (projection: string, position: number, index: number): MetaKey => ['skip', projection, position, index];

/**
 * The LMDB environment holding every projection's views: named databases
 * `view/<projection>/<generation>` and `index/<projection>/<generation>/<index>`, plus `meta`.
 *
 * @example
 * ```ts
 * const env = openViewEnvironment('./data/views');
 * const store = env.openStore('AccountBalance', 1, []);
 * await env.close();
 * ```
 */
export type ViewEnvironment = {
  readonly root: RootDatabase;
  readonly meta: Database<unknown, MetaKey>;
  /** Opens (creating when missing) the databases of one generation. */
  openStore(projection: string, generation: number, indexNames: readonly string[]): ViewStore;
  /**
   * Runs `fn` in one LMDB write transaction: all of its writes commit together, or, if it throws,
   * none. lmdb-js batches the transactions of one event turn into one commit (off the main thread).
   */
  write(fn: () => void): Promise<void>;
  /** Synchronously drops the databases of the projection's generations that `keep` refuses. */
  dropGenerations(projection: string, keep: (generation: number) => boolean): void;
  close(): Promise<void>;
};

const STRUCTURES = Symbol.for('structures');
const DB_NAME = /^(view|index)\/([^/]+)\/(\d+)(?:\/(.+))?$/;

/**
 * Opens (creating when missing) the views environment at `path`.
 *
 * @example
 * ```ts
 * const env = openViewEnvironment(path.join(dataDir, 'views'));
 * ```
 */
export function openViewEnvironment(path: string, options: { maxDbs?: number } = {}): ViewEnvironment {
  mkdirSync(path, { recursive: true });
  const root = open({ path, maxDbs: options.maxDbs ?? 256 });
  const meta = root.openDB<unknown, MetaKey>({ name: 'meta' });

  const openData = (projection: string, generation: number) =>
    // Shared structures: msgpack records whose field names are stored once per database, which
    // measured twice as fast to read (and a third faster to write) for view rows of one shape.
    root.openDB<unknown, string>({ name: `view/${projection}/${generation}`, sharedStructuresKey: STRUCTURES });
  const openIndex = (projection: string, generation: number, index: string) =>
    // ordered-binary values keep each index key's primary keys sorted, as LMDB compares them.
    root.openDB<string, IndexKey>({ name: `index/${projection}/${generation}/${index}`, dupSort: true, encoding: 'ordered-binary' });

  return {
    root,
    meta,
    openStore(projection, generation, indexNames) {
      return {
        projection,
        generation,
        data: openData(projection, generation),
        indexes: new Map(indexNames.map((name) => [name, openIndex(projection, generation, name)])),
      };
    },
    async write(fn) {
      // An async transaction callback that throws still commits its writes (lmdb-js), so the work
      // runs in a nested synchronous, abortable transaction.
      await root.transaction(() => root.transactionSync(fn));
    },
    dropGenerations(projection, keep) {
      // The root database's keys are the names of the named databases.
      for (const name of [...root.getKeys()]) {
        if (typeof name !== 'string') continue;
        const match = DB_NAME.exec(name);
        if (!match || match[2] !== projection || keep(Number(match[3]))) continue;
        const db = match[1] === 'view' ? openData(projection, Number(match[3])) : openIndex(projection, Number(match[3]), match[4]!);
        db.dropSync();
      }
    },
    close: () => root.close(),
  };
}
