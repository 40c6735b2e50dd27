/**
 * Runs a history against a real app (and, optionally, live projections) on one store, checking
 * every command's result against the reference model as it goes. The model decides what each
 * command does; the system only tells where (position) and when (timestamp), and those are
 * checked for consistency before the model records them:
 * - the commits of a step take exactly the next positions (head+1 .. head+n), no gap, no reuse;
 * - commands to one aggregate commit in the order they were issued (its mailbox order);
 * - every envelope field is what the contract says (eventId, versions, ids, correlation).
 */
import { setImmediate as tick } from 'node:timers/promises';
import type { App, Command, CommandResult, Commit, NatsApp, Projections, ViewChange } from '../../../src/index.js';
import { ALL_IDS, CUSTOMER_IDS, ORDER_IDS, STRANGERS, type ReadConfig, type WriteConfig } from '../arbitraries.js';
import { describeStep, isResend, type CommandSpec, type Entry, type Step, type StepTarget } from '../history.js';
import { expectedAggregateState } from '../model/aggregateStates.js';
import { knownAggregate } from '../model/payloads.js';
import { PROJECTIONS, expectedIndexes, expectedReadState, type ReadState } from '../model/readModels.js';
import {
  commitsInLogOrder,
  emptyWorld,
  expectedEnvelopes,
  headOf,
  predict,
  record,
  versionOf,
  type ModelEvent,
  type Prediction,
  type World,
} from '../model/world.js';
import { assertSame, readIndexes, readViews } from './compare.js';
import { withTrace } from './fcSettings.js';
import { describeCommand, describePrediction, describeResult, outcomeOf } from './traceFormat.js';
import { isNatsApp, openApp, openProjections, type Store } from './engines.js';

export type RunnerOptions = {
  readonly write: WriteConfig;
  /** Live projections following the app's log; none when absent. */
  readonly read?: ReadConfig;
  /** Fold every projection's change stream and check it against the view at each settle. */
  readonly foldChanges?: boolean;
  /** Prefix of trace lines (the engine, when two runners share a trace). */
  readonly label?: string;
};

/** A change stream folded into a copy of the view. */
type Fold = { copy: Map<string, unknown>; last: number; problems: string[] };

export type HistoryRunner = StepTarget & {
  readonly store: Store;
  readonly world: World;
  /** What happened, step by step: printed with a counterexample. */
  readonly trace: string[];
  readonly app: App | NatsApp;
  readonly projections: Projections | undefined;
  /** Every command's outcome, in the order issued: what the engines must agree on. */
  readonly outcomes: string[];
  /** How many commands had each kind of predicted outcome (accepted, duplicate, rejected:<reason>, ...). */
  readonly stats: Map<string, number>;
  /** Closes the app (and projections) and opens it again, with other write settings if given. */
  restartApp(write?: WriteConfig): Promise<App | NatsApp>;
  /**
   * Compares every aggregate's write-model state with the model; with live projections, then waits
   * for them to reach the head and compares views, indexes and change-stream folds too.
   */
  settle(): Promise<ReadState | undefined>;
  /** Waits until every projection of `projections` has processed the model's head. */
  waitForHead(projections: Projections): Promise<void>;
  /** Compares the log's commits, read back from position 1, with the model's. */
  checkLog(): Promise<void>;
  /** Compares `app.state` of every id with the model. */
  checkAggregates(app?: App | NatsApp, label?: string): Promise<void>;
  /** Compares a projections instance's views and indexes with the model. */
  checkViews(projections: Projections, label: string): Promise<ReadState>;
  close(): Promise<void>;
};

const INDEX_CANDIDATES = { byCustomer: [...CUSTOMER_IDS, ...STRANGERS], byOrder: [...ORDER_IDS] };

const aggregateOf = (c: unknown): string | undefined =>
  typeof c === 'object' && c !== null && typeof (c as { aggregate?: unknown }).aggregate === 'string' ? (c as { aggregate: string }).aggregate : undefined;

function commitOf(events: ModelEvent[]): Commit {
  const first = events[0]!;
  return {
    position: first.position,
    aggregate: first.aggregate,
    id: first.id,
    version: events[events.length - 1]!.version,
    timestamp: first.timestamp,
    commandId: first.commandId,
    correlationId: first.correlationId,
    causationId: first.causationId,
    events,
  };
}

/** Opens the app (and projections) on `store` and returns a runner for one history. */
export async function createHistoryRunner(store: Store, options: RunnerOptions): Promise<HistoryRunner> {
  const world = emptyWorld();
  const trace: string[] = [];
  const outcomes: string[] = [];
  const stats = new Map<string, number>();
  const sent: unknown[] = [];
  const label = options.label ? `[${options.label}] ` : '';
  const viewsName = 'views';
  let commandNumber = 0;
  let app: App | NatsApp = await openApp(store, options.write);
  let projections: Projections | undefined;
  const folds = new Map<string, Fold>();

  const subscribe = (p: Projections, from?: (name: string, checkpoint: number) => number) => {
    if (!options.foldChanges) return Promise.resolve();
    return Promise.all(
      PROJECTIONS.map(async (name) => {
        const fold = folds.get(name) ?? { copy: new Map<string, unknown>(), last: 0, problems: [] };
        folds.set(name, fold);
        const projection = p.get(name);
        const apply = (c: ViewChange) => {
          if (c.position < fold.last) fold.problems.push(`a change at position ${c.position} came after one at ${fold.last}`);
          if (c.projection !== name) fold.problems.push(`a change names projection ${c.projection}`);
          fold.last = c.position;
          if (c.value === null) fold.copy.delete(c.key);
          else fold.copy.set(c.key, c.value);
        };
        const onError = (err: unknown) => fold.problems.push(`the stream failed: ${String(err)}`);
        if (from === undefined) {
          projection.changes$.subscribe({ next: apply, error: onError });
          return;
        }
        const checkpoint = (await projection.status()).position;
        const start = from(name, checkpoint);
        // At or before the checkpoint, changesFrom first replays the whole view as of the checkpoint.
        if (start <= checkpoint) fold.copy.clear();
        projection.changesFrom(start).subscribe({ next: apply, error: onError });
      }),
    ).then(() => undefined);
  };

  const openViews = async (resume?: (name: string, checkpoint: number) => number) => {
    if (!options.read) return;
    projections = await openProjections(store, app.log, { ...options.read, name: viewsName });
    await subscribe(projections, resume);
    projections.start();
  };
  await openViews();

  const resolve = (entries: readonly Entry[]): unknown[] => {
    const out: unknown[] = [];
    const versions = new Map<string, number>();
    const versionAtStart = (aggregate: string, id: string) => {
      const key = `${aggregate}/${id}`;
      if (!versions.has(key)) versions.set(key, versionOf(world, aggregate, id));
      return versions.get(key)!;
    };
    // A re-send may pick a command issued earlier in the same group: a retry while the first is in flight.
    for (const e of entries) {
      if (isResend(e) && sent.length === 0) continue;
      const c = isResend(e) ? sent[e.resend % sent.length] : build(e, versionAtStart(e.aggregate, e.id));
      out.push(c);
      sent.push(c);
    }
    return out;
  };

  const build = (spec: CommandSpec, version: number): unknown => {
    const c: Record<string, unknown> = { type: spec.type, aggregate: spec.aggregate, id: spec.id, payload: spec.payload };
    if (spec.cid) c.commandId = `k${++commandNumber}`;
    if (spec.expect === 'current') c.expectedVersion = version;
    if (spec.expect === 'stale') c.expectedVersion = version > 0 ? version - 1 : version + 1;
    if (spec.correlationId !== undefined) c.correlationId = spec.correlationId;
    switch (spec.mangle) {
      case undefined:
        return c;
      case 'null':
        return null;
      case 'string':
        return `${spec.type} ${spec.aggregate}/${spec.id}`;
      case 'array':
        return [c];
      case 'emptyType':
        return { ...c, type: '' };
      case 'noPayload': {
        const { payload: _dropped, ...rest } = c;
        return rest;
      }
      case 'negativeVersion':
        return { ...c, expectedVersion: -1 };
      case 'emptyCommandId':
        return { ...c, commandId: '' };
      case 'numericId':
        return { ...c, id: 7 };
    }
  };

  // Predictions in issue order, each seeing the effect of the ones before (the mailbox order), on a
  // scratch copy of the world: positions and timestamps are not known yet and do not matter here.
  // A re-send of a command of the same group that was not accepted joins that attempt, still
  // running on the node (dispatch), so it gets the same refusal: a commandId is decided once.
  const predictAll = (commands: unknown[]): Prediction[] => {
    const scratch = structuredClone(world);
    const refused = new Map<string, Prediction>();
    return commands.map((c, i) => {
      const commandId = typeof c === 'object' && c !== null ? (c as { commandId?: unknown }).commandId : undefined;
      const joined = typeof commandId === 'string' ? refused.get(commandId) : undefined;
      if (joined !== undefined) return joined;
      const p = predict(scratch, c);
      if (p.kind === 'error' && typeof commandId === 'string' && commandId !== '' && commands.indexOf(c) === i) refused.set(commandId, p);
      if (isStoredRejection(p) && typeof commandId === 'string') scratch.rejections.set(commandId, p);
      if (p.kind === 'accepted') {
        const commandId = (c as { commandId?: string }).commandId ?? `(generated ${i})`;
        record(scratch, expectedEnvelopes(scratch, p, { position: Number.NaN, timestamp: 0, commandId }));
      }
      return p;
    });
  };

  const send = (c: unknown, remote: boolean): Promise<CommandResult> => {
    const a = app;
    const aggregate = aggregateOf(c);
    // An aggregate that no node serves would wait out the whole request timeout: in-process only.
    if (remote && isNatsApp(a) && (aggregate === undefined || knownAggregate(aggregate))) return a.remote.send(c as Command);
    return a.send(c as Command);
  };

  const fail = (i: number, commands: unknown[], what: string): never => {
    throw new Error(`command #${i} (${describeCommand(commands[i])}): ${what}`);
  };

  const verify = (commands: unknown[], predictions: Prediction[], results: CommandResult[]): void => {
    const head = world.lastPosition;
    const accepted: number[] = [];
    // Each first rejection of a commandId (or of a command without one) is stored and takes a position.
    let stored = 0;
    predictions.forEach((p, i) => {
      if (!isStoredRejection(p)) return;
      const commandId = (commands[i] as { commandId?: string }).commandId;
      if (commandId === undefined) stored += 1;
      else if (!world.rejections.has(commandId)) {
        world.rejections.set(commandId, p);
        stored += 1;
      }
    });
    results.forEach((r, i) => {
      const p = predictions[i]!;
      const kind = p.kind === 'error' ? (p.reason ? `rejected:${p.reason}` : p.code) : p.kind;
      stats.set(kind, (stats.get(kind) ?? 0) + 1);
      trace.push(`${label}  ${describeCommand(commands[i])} → ${describeResult(r)}${p.kind === 'duplicate' ? ' (a re-send: the first result)' : ''}`);
      outcomes.push(outcomeOf(r));
      if (p.kind === 'error') {
        if (r.ok || r.error.code !== p.code || (p.reason !== undefined && r.error.details?.reason !== p.reason)) {
          fail(i, commands, `expected ${describePrediction(p)}, got ${describeResult(r)}${r.ok ? '' : ` (${r.error.message})`}`);
        }
      } else if (!r.ok) {
        fail(i, commands, `expected ${describePrediction(p)}, got ${describeResult(r)} (${r.error.message})`);
      } else if (p.kind === 'accepted') {
        if (r.events.length !== p.events.length) fail(i, commands, `expected ${describePrediction(p)}, got ${describeResult(r)}`);
        accepted.push(i);
      }
    });
    // Positions: the next ones, each once; a stored rejection takes one that no commit has.
    const positions = accepted.map((i) => (results[i] as Extract<CommandResult, { ok: true }>).position).sort((a, b) => a - b);
    const last = head + positions.length + stored;
    positions.forEach((p, k) => {
      if (p <= head || p > last || (k > 0 && p === positions[k - 1])) {
        throw new Error(`the commits of this step took positions ${positions.join(', ')}; expected ${positions.length} of ${head + 1}..${last}`);
      }
    });
    if (stored === 0 && positions.length > 0 && positions.at(-1) !== last) throw new Error(`the commits of this step took positions ${positions.join(', ')}; expected ${head + 1}..${last}`);
    world.lastPosition = last;
    // Commands to one aggregate commit in issue order.
    const lastAt = new Map<string, number>();
    for (const i of accepted) {
      const r = results[i] as Extract<CommandResult, { ok: true }>;
      const { aggregate, id } = commands[i] as { aggregate: string; id: string };
      const key = `${aggregate}/${id}`;
      if ((lastAt.get(key) ?? 0) > r.position) fail(i, commands, `committed at ${r.position}, before a command to ${key} issued earlier`);
      lastAt.set(key, r.position);
    }
    for (const i of [...accepted].sort((a, b) => (results[a] as { position: number }).position - (results[b] as { position: number }).position)) {
      const r = results[i] as Extract<CommandResult, { ok: true }>;
      const c = commands[i] as { commandId?: string; correlationId?: string };
      const p = predictions[i] as Extract<Prediction, { kind: 'accepted' }>;
      const commandId = c.commandId ?? r.events[0]!.commandId;
      if (c.commandId === undefined && !/^[0-9a-f-]{36}$/.test(commandId)) fail(i, commands, `generated commandId ${JSON.stringify(commandId)} is not a UUID`);
      const events = expectedEnvelopes(world, p, { position: r.position, timestamp: r.events[0]!.timestamp, commandId, correlationId: c.correlationId });
      if (!Number.isSafeInteger(r.events[0]!.timestamp) || r.events[0]!.timestamp <= 0) fail(i, commands, `timestamp ${r.events[0]!.timestamp}`);
      assertSame(`${label}result of command #${i} (${describeCommand(commands[i])})`, { ok: true, version: p.version, position: r.position, events }, r);
      record(world, events);
    }
    // A re-send answers with the first result, found by commandId.
    predictions.forEach((p, i) => {
      if (p.kind !== 'duplicate') return;
      const first = world.accepted.get((commands[i] as { commandId: string }).commandId)!;
      assertSame(`${label}re-send #${i} (${describeCommand(commands[i])})`, { ok: true, version: first.version, position: first.position, events: first.events }, results[i]);
    });
  };

  const group = async (entries: readonly Entry[], remote: boolean, during?: () => Promise<void>) => {
    const commands = resolve(entries);
    const predictions = predictAll(commands);
    const pending = commands.map((c) => send(c, remote));
    if (during) await during();
    verify(commands, predictions, await Promise.all(pending));
  };

  // Closing completes the change streams after the batch in flight: the folds see all of it.
  const closeViews = () => projections?.close() ?? Promise.resolve();

  const waitForHead = async (p: Projections) => {
    const head = headOf(world);
    await Promise.all(PROJECTIONS.map((name) => p.get(name).waitFor(head, { timeout: 15_000 })));
  };

  const checkViews = async (p: Projections, what: string): Promise<ReadState> => {
    await waitForHead(p);
    const views = await readViews(p);
    assertSame(`${label}read state (${what})`, expectedReadState(world), views);
    const expected = expectedIndexes(world);
    assertSame(`${label}indexes (${what})`, expected, await readIndexes(p, expected, INDEX_CANDIDATES));
    return views;
  };

  const runner: HistoryRunner = {
    store,
    world,
    trace,
    outcomes,
    stats,
    get app() {
      return app;
    },
    get projections() {
      return projections;
    },
    async run(step: Step) {
      trace.push(`${label}${describeStep(step)}`);
      stats.set(`step:${step.kind}`, (stats.get(`step:${step.kind}`) ?? 0) + 1);
      switch (step.kind) {
        case 'send':
          return group([step.cmd], step.remote);
        case 'sequence':
          for (const e of step.cmds) await group([e], step.remote);
          return;
        case 'concurrent':
          return group(step.cmds, step.remote);
        case 'restart':
          return group(step.during, step.remote, async () => {
            for (let i = 0; i < step.ticks; i++) await tick();
            if (projections) {
              // Evidence for the report: how often the projections were still behind when closed.
              const head = await app.log.headPosition();
              const behind = (await projections.statuses()).some((st) => st.position < head);
              if (behind) stats.set('restart:projections-behind', (stats.get('restart:projections-behind') ?? 0) + 1);
            }
            const closeApp = () => app.close().then(() => trace.push(`${label}  (app closed)`));
            const closeProjections = () => closeViews().then(() => trace.push(`${label}  (projections closed)`));
            if (step.order === 'projections-first') {
              await closeProjections();
              await closeApp();
            } else if (step.order === 'app-first') {
              await closeApp();
              await closeProjections();
            } else {
              await Promise.all([closeProjections(), closeApp()]);
            }
          }).then(async () => {
            app = await openApp(store, options.write);
            await openViews((name) => folds.get(name)!.last + 1);
            trace.push(`${label}  (reopened)`);
          });
        case 'settle':
          await runner.settle();
          return;
        case 'rebuild': {
          const p = projections;
          if (!p) return group(step.during, false);
          let rebuilt: Promise<unknown> = Promise.resolve();
          await group(step.during, false, async () => {
            rebuilt = p.get(step.projection).rebuild();
          });
          const result = await rebuilt;
          trace.push(`${label}  (rebuilt: ${JSON.stringify(result)})`);
          return;
        }
        case 'resume': {
          if (!projections) return;
          await closeViews();
          trace.push(`${label}  (projections closed)`);
          await openViews((name) => (step.from === 'start' ? 1 : folds.get(name)!.last + 1));
          trace.push(`${label}  (reopened)`);
          return;
        }
      }
    },
    async restartApp(write = options.write) {
      await closeViews();
      await app.close();
      app = await openApp(store, write);
      await openViews((name) => folds.get(name)!.last + 1);
      return app;
    },
    async settle() {
      await runner.checkAggregates();
      if (!projections) return undefined;
      trace.push(`${label}  (waiting for the projections to reach ${headOf(world)})`);
      const views = await checkViews(projections, 'live');
      for (const [name, fold] of folds) {
        if (fold.problems.length > 0) throw new Error(`${label}change stream of ${name}: ${fold.problems.join('; ')}`);
        assertSame(`${label}change stream of ${name}, folded`, views[name], Object.fromEntries(fold.copy));
      }
      return views;
    },
    waitForHead,
    checkViews,
    async checkLog() {
      const commits: Commit[] = [];
      for await (const batch of app.log.readBatches({ fromPosition: 1, live: false })) commits.push(...batch);
      assertSame(`${label}the log`, commitsInLogOrder(world).map((c) => commitOf(c.events)), commits);
      const head = await app.log.headPosition();
      if (head !== headOf(world)) throw new Error(`${label}headPosition() is ${head}, expected ${headOf(world)}`);
    },
    async checkAggregates(on = app, what = 'live') {
      for (const [aggregate, id] of ALL_IDS) {
        const state = await on.state(aggregate, id);
        assertSame(`${label}${what} state of ${aggregate}/${id}`, expectedAggregateState(world, aggregate, id), state && { ...state });
      }
    },
    async close() {
      await closeViews();
      await app.close();
    },
  };
  return runner;
}

/**
 * Opens a store and a runner on `engine`, runs `body`, and always cleans up. A failure carries the
 * trace of the history, so that the shrunk counterexample shows what every command returned.
 */
export async function withHistoryRunner(store: Store, options: RunnerOptions, body: (runner: HistoryRunner) => Promise<void>): Promise<void> {
  let runner: HistoryRunner | undefined;
  try {
    runner = await createHistoryRunner(store, options);
    await within(HISTORY_TIMEOUT_MS, body(runner), 'the history');
  } catch (err) {
    const traced = withTrace(err, runner?.trace ?? []);
    // Shrinking a hang takes a timeout per attempt: show the first one at once.
    if (err instanceof Error && err.message.includes(HANG)) console.error(traced.message);
    throw traced;
  } finally {
    await within(HISTORY_TIMEOUT_MS, runner?.close() ?? Promise.resolve(), 'closing the app and projections').catch(() => undefined);
  }
}

const HANG = 'a hang: the trace ends where it stopped';

/** Longest one history may take: far above the slowest passing one, so that a hang fails with its trace. */
export const HISTORY_TIMEOUT_MS = 20_000;

/** `work`, or a rejection naming `what` once `ms` have passed without it settling. */
export function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (${HANG})`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

// A rejection the host stores as its commandId's decision (only `rejected`: other errors are not decisions).
function isStoredRejection(p: Prediction): boolean {
  return p.kind === 'error' && p.code === 'rejected';
}
