/**
 * A value a secondary index files a view entry under: what an index function returns, and what a
 * lookup asks for.
 *
 * @example
 * ```ts
 * const byCustomer = (order: OrderRow): IndexKey => order.customerId;
 * ```
 */
export type IndexKey = string | number;

/**
 * Secondary-index lookups inside a handler. They see the writes that earlier events of the same
 * batch made, so a handler never observes how the runner happened to cut batches.
 *
 * @example
 * ```ts
 * for (const orderId of view.index('byCustomer').keys(envelope.id)) {
 *   view.update(orderId, (o) => ({ ...o!, customerEmail: event.data.email }));
 * }
 * ```
 */
export type ViewIndex = {
  /** Primary keys whose value the index files under `value`, in key order. */
  keys(value: IndexKey): string[];
};

/**
 * What a projection handler reads and writes: one LMDB-backed view, keyed by strings. Every write
 * a handler makes is committed in the same LMDB transaction as the runner's checkpoint, so it
 * happens exactly once. Values are stored as msgpack and must be treated as immutable: build a
 * new object instead of mutating one you read.
 *
 * @example
 * ```ts
 * const Deposited: ProjectionHandler<Balance, { amount: number }> = (view, event, envelope) => {
 *   view.update(envelope.id, (b) => ({ ...b!, balance: b!.balance + event.data.amount }));
 * };
 * ```
 */
export type View<V> = {
  get(key: string): V | undefined;
  has(key: string): boolean;
  put(key: string, value: V): void;
  /** Writes `fn(current)` (current is undefined when the key is absent) and returns it. */
  update(key: string, fn: (current: V | undefined) => V): V;
  delete(key: string): void;
  /** A secondary index declared in the projection's `indexes`; unknown names throw `NotFoundError`. */
  index(name: string): ViewIndex;
};
