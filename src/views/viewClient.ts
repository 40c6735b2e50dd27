import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { Observable } from 'rxjs';
import { encode } from '../codec/msgpack.js';
import { ClosedError, ConfigError, InternalError, NotFoundError, TimeoutError, ValidationError, type ErrorShape } from '../errors.js';
import { assertSubjectPrefix } from '../commands/commandSubjects.js';
import { createRequester, type RequestEnd } from '../nats/requestReply.js';
import type { ProjectionDefinition } from '../projection/defineProjection.js';
import type { ReadOptions, RebuildResult, ViewChange } from '../projection/projection.js';
import { viewChangeSubject, viewRequestSubjects } from './viewSubjects.js';
import {
  decodeReadNodeStatus,
  decodeRebuildMessage,
  decodeViewChange,
  decodeViewQueryChunk,
  errorFromShape,
  type ReadNodeStatus,
  type ViewQuery,
} from './viewWire.js';

/**
 * How long a view client waits for a read node by default, in milliseconds.
 *
 * @example
 * ```ts
 * createViewClient({ nc, timeout: 2 * DEFAULT_VIEW_TIMEOUT });
 * ```
 */
export const DEFAULT_VIEW_TIMEOUT = 5000;

/**
 * Options of {@link createViewClient}.
 *
 * @example
 * ```ts
 * const options: ViewClientOptions = { nc, prefix: 'shop', timeout: 2000 };
 * ```
 */
export type ViewClientOptions = {
  /** The connection to use; the client never closes it. */
  readonly nc: NatsConnection;
  /** Subject prefix of the read nodes. Default `tributary`. */
  readonly prefix?: string;
  /** Milliseconds to wait for a read node's answer. Default 5000. */
  readonly timeout?: number;
};

/**
 * Options of {@link ViewClient.watch}.
 *
 * @example
 * ```ts
 * views.watch('AccountBalance', 'a-1', { fromPosition: lastSeen + 1 });
 * ```
 */
export type WatchOptions = {
  /**
   * Resume: every change at this position or later, with no gap. When the view has committed
   * changes at or after it (checkpoint C), a read node first replays the current state at C (each
   * key, or just `key` with `value: null` when absent), all with `position: C`; live changes after
   * C follow. Without it, only live changes from now on (no read node needed).
   */
  readonly fromPosition?: number;
};

/**
 * Progress of a rebuild on one read node.
 *
 * @example
 * ```ts
 * await views.rebuild('AccountBalance', { onProgress: (p) => console.log(p.node, p.position, '/', p.headPosition) });
 * ```
 */
export type NodeRebuildProgress = { readonly node: string; readonly projection: string; readonly position: number; readonly headPosition: number };

/**
 * How a rebuild ended on one read node.
 *
 * @example
 * ```ts
 * for (const r of await views.rebuild('AccountBalance')) console.log(r.node, r.ok ? r.result.position : r.error.message);
 * ```
 */
export type NodeRebuildOutcome =
  | { readonly node: string; readonly ok: true; readonly result: RebuildResult }
  | { readonly node: string; readonly ok: false; readonly error: ErrorShape };

/**
 * Reads views remotely, from any process on the NATS connection: live changes, resumable from a
 * position, plus the read nodes' queries, status and rebuild.
 *
 * @example
 * ```ts
 * const views = createViewClient({ nc });
 * views.watch(AccountBalance, 'a-1', { fromPosition: 1 }).subscribe((c) => console.log(c.position, c.value));
 * console.log(await views.get(AccountBalance, 'a-1', { minPosition: r.position }));
 * ```
 */
export type ViewClient = {
  /**
   * The changes of a projection (or of one key), as published on
   * `<prefix>.view.<projection>.<key>`: in position order, each at most once. With `fromPosition`
   * it resumes without a gap (see {@link WatchOptions}); it then errors with `NotFoundError` when
   * no read node hosts the projection, or `TimeoutError` when none answers in time. It completes
   * when the connection closes.
   */
  watch<V = unknown>(projection: string | ProjectionDefinition<V>, key?: string, options?: WatchOptions): Observable<ViewChange<V>>;
  /** The value at `key` on a read node (undefined when absent), after it processed `minPosition`. */
  get<V = unknown>(projection: string | ProjectionDefinition<V>, key: string, options?: ReadOptions): Promise<V | undefined>;
  /** Every read node's status; empty when none answers. */
  statuses(): Promise<ReadNodeStatus[]>;
  /** Rebuilds the projection on every read node hosting it; `NotFoundError` when none does. */
  rebuild(projection: string | ProjectionDefinition, options?: { onProgress?: (progress: NodeRebuildProgress) => void }): Promise<NodeRebuildOutcome[]>;
};

type Exchange = {
  readonly done: Promise<void>;
  /** Ends it now, successfully: the caller has what it needs, or no longer needs anything. */
  finish(): void;
};

// How long status and rebuild requests keep listening for more read nodes after the last answer.
const GATHER_MS = 250;
// A read node reports rebuild progress every 250 ms while it replays: silence this long means it is gone.
const REBUILD_SILENCE_MS = 60_000;

const nameOf = (projection: string | ProjectionDefinition): string => (typeof projection === 'string' ? projection : projection.name);

/**
 * Creates a client of the read nodes' views over NATS (see `createViewService` and
 * `createViewPublisher`). It needs no projection code: names and keys are enough.
 *
 * @example
 * ```ts
 * const nc = await connectNats({ servers: process.env.NATS_URL });
 * const views = createViewClient({ nc, prefix: 'tributary' });
 * const subscription = views.watch('OrderSummary').subscribe((c) => console.log(c.key, c.value));
 * ```
 */
export function createViewClient(options: ViewClientOptions): ViewClient {
  const { nc } = options;
  const prefix = options.prefix ?? 'tributary';
  const timeout = options.timeout ?? DEFAULT_VIEW_TIMEOUT;
  assertSubjectPrefix(prefix);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new ConfigError(`timeout must be a positive number of milliseconds, got ${String(timeout)}`);
  const subjects = viewRequestSubjects(prefix);
  // A view client has no close: it holds an inbox only while a request waits.
  const requester = createRequester(nc, { unsubscribeWhenIdle: true });

  // Sends one request and hands each reply to `onMessage` until it returns true. The wait restarts
  // at every reply; when it runs out, `onIdle` decides (an error, or undefined to end quietly).
  const exchange = (
    subject: string,
    data: Uint8Array,
    handlers: { onMessage(msg: Msg): boolean; onIdle(): Error | undefined; noResponders(): Error | undefined; firstMs: number; nextMs: number },
  ): Exchange => {
    let settle: (err?: Error) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    const ended = (end: RequestEnd): Error | undefined => {
      switch (end.kind) {
        case 'timeout':
          return handlers.onIdle();
        case 'noResponders':
          return handlers.noResponders();
        case 'closed':
          return new ClosedError(`the NATS connection closed before ${subject} answered`, { subject });
        case 'unsent':
        case 'failed':
          return end.error as Error;
      }
    };
    const cancel = requester.request(subject, data, { timeout: handlers.firstMs, nextTimeout: handlers.nextMs }, {
      onReply(msg) {
        const last = handlers.onMessage(msg);
        if (last) settle();
        return last;
      },
      onEnd: (end) => settle(ended(end)),
    });
    return {
      done,
      finish: () => {
        cancel();
        settle();
      },
    };
  };

  const reconnectListeners = new Set<() => void>();
  let statusWatched = false;
  const onReconnect = (listener: () => void): (() => void) => {
    reconnectListeners.add(listener);
    if (!statusWatched) {
      statusWatched = true;
      void (async () => {
        for await (const s of nc.status()) if (s.type === 'reconnect') for (const l of [...reconnectListeners]) l();
      })();
    }
    return () => reconnectListeners.delete(listener);
  };

  const noReadNode = (name: string, subject: string) =>
    new NotFoundError(
      `no read node hosts projection ${name}: nothing serves ${subject} (is \`tributary serve --role read\` running with subject prefix "${prefix}"?)`,
      { projection: name, subject },
    );

  // The state of a view (or one key) from a read node, reassembled from its chunks.
  const queryState = (name: string, query: ViewQuery, waitMs: number) => {
    const subject = subjects.query(name);
    let position = 0;
    const entries: { key: string; value: unknown }[] = [];
    let next = 0;
    const ex = exchange(subject, encode(query), {
      firstMs: waitMs,
      nextMs: timeout,
      onMessage(msg) {
        const chunk = decodeViewQueryChunk(msg.data);
        if (!chunk.ok) throw errorFromShape(chunk.error);
        if (chunk.chunk !== next++) throw new InternalError(`a chunk of the state of ${name} was lost on the way; ask again`, { projection: name });
        position = chunk.position;
        entries.push(...chunk.entries);
        return chunk.last;
      },
      onIdle: () => new TimeoutError(`no read node answered ${subject} within ${waitMs} ms`, { projection: name, subject, timeout: waitMs }),
      noResponders: () => noReadNode(name, subject),
    });
    return { ...ex, result: ex.done.then(() => ({ position, entries })) };
  };

  return {
    watch<V>(projection: string | ProjectionDefinition<V>, key?: string, watch: WatchOptions = {}): Observable<ViewChange<V>> {
      const name = nameOf(projection);
      const from = watch.fromPosition;
      if (from !== undefined && (!Number.isSafeInteger(from) || from < 1)) {
        throw new ValidationError(`fromPosition must be a positive integer, got ${String(from)}`, { field: 'fromPosition' });
      }
      const subject = viewChangeSubject(prefix, name, key);
      return new Observable<ViewChange<V>>((subscriber) => {
        // Nothing at or below `floor` is delivered (the replay covers it), nor anything older
        // than the last change delivered (a second publisher that is behind).
        let floor = from === undefined ? 0 : from - 1;
        let last = 0;
        let held: ViewChange[] | undefined = from === undefined ? undefined : [];
        const deliver = (c: ViewChange) => {
          if (c.position <= floor || c.position < last) return;
          last = c.position;
          subscriber.next(c as ViewChange<V>);
        };
        const sub = nc.subscribe(subject, {
          callback: (err, msg) => {
            if (err) return subscriber.error(err);
            let change: ViewChange;
            try {
              change = decodeViewChange(msg.data);
            } catch {
              return; // not a view change: someone else's message on these subjects
            }
            if (change.projection !== name || (key !== undefined && change.key !== key)) return;
            if (held) held.push(change);
            else deliver(change);
          },
        });
        void sub.closed.then(() => subscriber.complete());
        // Subscribed before the state is read: a change is either in the state (position ≤ C) or
        // arrives on the subscription, held meanwhile. The same again after each reconnect, from
        // the last change delivered: what was published while disconnected is in the new state.
        let state: Exchange | undefined;
        let attempt = 0;
        const sync = (fromPosition: number) => {
          const mine = ++attempt;
          held ??= [];
          state?.finish();
          (async () => {
            await nc.flush();
            if (mine !== attempt || subscriber.closed) return;
            const q = queryState(name, { ...(key === undefined ? {} : { key }), fromPosition }, timeout);
            state = q;
            const { position, entries } = await q.result;
            if (mine !== attempt || subscriber.closed) return;
            if (position >= fromPosition) {
              for (const e of entries) deliver({ projection: name, key: e.key, value: e.value ?? null, position });
              floor = position;
            }
            const buffered = held ?? [];
            held = undefined;
            for (const c of buffered) deliver(c);
          })().catch((err: unknown) => {
            if (mine === attempt) subscriber.error(err);
          });
        };
        let stopResync: (() => void) | undefined;
        if (from !== undefined) {
          sync(from);
          stopResync = onReconnect(() => sync(Math.max(floor, last) + 1));
        }
        return () => {
          stopResync?.();
          attempt++;
          state?.finish();
          if (!sub.isClosed()) sub.unsubscribe();
        };
      });
    },

    async get<V>(projection: string | ProjectionDefinition<V>, key: string, read: ReadOptions = {}): Promise<V | undefined> {
      const name = nameOf(projection);
      if (typeof key !== 'string' || key === '') throw new ValidationError('key must be a non-empty string', { field: 'key' });
      const wait = read.timeout ?? timeout;
      const query: ViewQuery = { key, ...(read.minPosition !== undefined ? { minPosition: read.minPosition, timeout: wait } : {}) };
      const { entries } = await queryState(name, query, read.minPosition !== undefined ? wait + timeout : timeout).result;
      return (entries[0]?.value ?? undefined) as V | undefined;
    },

    async statuses(): Promise<ReadNodeStatus[]> {
      const nodes: ReadNodeStatus[] = [];
      await exchange(subjects.status, new Uint8Array(0), {
        firstMs: timeout,
        nextMs: GATHER_MS,
        onMessage(msg) {
          nodes.push(decodeReadNodeStatus(msg.data));
          return false;
        },
        onIdle: () => undefined,
        noResponders: () => undefined,
      }).done;
      return nodes.sort((a, b) => a.node.localeCompare(b.node));
    },

    async rebuild(projection, rebuild = {}): Promise<NodeRebuildOutcome[]> {
      const name = nameOf(projection);
      const subject = subjects.rebuild(name);
      const running = new Set<string>();
      const outcomes: NodeRebuildOutcome[] = [];
      let quiet: NodeJS.Timeout | undefined;
      // Done once every node that started has finished and no other started meanwhile.
      const ex: Exchange = exchange(subject, new Uint8Array(0), {
        firstMs: timeout,
        nextMs: REBUILD_SILENCE_MS,
        onMessage(msg) {
          const m = decodeRebuildMessage(msg.data);
          clearTimeout(quiet);
          if (m.type === 'started') running.add(m.node);
          else if (m.type === 'progress') rebuild.onProgress?.({ node: m.node, projection: name, position: m.position, headPosition: m.headPosition });
          else {
            running.delete(m.node);
            outcomes.push(m.type === 'done' ? { node: m.node, ok: true, result: m.result } : { node: m.node, ok: false, error: m.error });
          }
          if (running.size === 0) quiet = setTimeout(() => ex.finish(), GATHER_MS);
          return false;
        },
        onIdle: () =>
          new TimeoutError(
            running.size === 0
              ? `no read node answered ${subject} within ${timeout} ms`
              : `read node(s) ${[...running].join(', ')} went silent while rebuilding ${name}`,
            { projection: name, subject },
          ),
        noResponders: () => noReadNode(name, subject),
      });
      try {
        await ex.done;
      } finally {
        clearTimeout(quiet);
      }
      return outcomes.sort((a, b) => a.node.localeCompare(b.node));
    },
  };
}
