import { performance } from 'node:perf_hooks';
import { open, type Database, type RootDatabase } from 'lmdb';
import { encodeCommitRecordTransient, toEnvelopes, type CommitRecord } from '../../src/eventLog/commitRecord.js';
import type { Refusal } from '../../src/eventLog/eventLog.js';
import type { Command } from '../../src/index.js';
import { refusalOf, type CeilingCore } from './ceilingCore.js';
import { measureCost, STAGES, type Budget } from './stageBudget.js';
import type { W1 } from './w1.js';

// The embedded log's marks (createLmdbEventLog.ts): a refused commandId, the last refusal's position.
const REFUSED = 0;
const LAST_REFUSAL = 'lastRefusal';

/**
 * The embedded log's databases, opened with the same names and encodings as `createLmdbEventLog`
 * opens them, so that every put costs what the log's does.
 *
 * @example
 * ```ts
 * const log = openCeilingLog(dir.path);
 * await log.root.close();
 * ```
 */
export function openCeilingLog(path: string) {
  const root: RootDatabase = open({ path });
  return {
    root,
    commits: root.openDB({ name: 'commits', encoding: 'binary' }) as Database<Uint8Array, number>,
    streams: root.openDB({ name: 'streams', encoding: 'ordered-binary' }) as Database<number, [string, string, number]>,
    commands: root.openDB({ name: 'commands', encoding: 'ordered-binary' }) as Database<number, string>,
    refusals: root.openDB({ name: 'refusals' }) as Database<Refusal, string>,
    marks: root.openDB({ name: 'marks' }) as Database<number, string>,
  };
}

/** The log's databases, as {@link openCeilingLog} opens them. */
export type CeilingLog = ReturnType<typeof openCeilingLog>;

/**
 * What a ceiling run did: the timed operations' wall time, the outcome, its budget per stage and
 * whether it matches the model.
 *
 * @example
 * ```ts
 * const run: CeilingRun = await runCeiling(xstateCore(), w1, log, { batch: 2000 });
 * console.log(w1.operations.length / run.seconds);
 * ```
 */
export type CeilingRun = { readonly seconds: number; readonly accepted: number; readonly rejected: number; readonly budget: Budget; readonly ok: boolean };

/**
 * Options of {@link runCeiling}. `nextPosition` hands out positions; give a shared counter when
 * several threads write the same environment (it is called inside the write transaction, which
 * LMDB serialises, so positions follow the commit order).
 */
export type CeilingOptions = {
  readonly batch: number;
  readonly timed?: boolean;
  readonly nextPosition?: () => number;
  /** Awaited between the openings and the timed operations (a start line shared by threads). */
  readonly beforeOperations?: () => Promise<void>;
};

type Slot<S> = { state: S; version: number };
type Written = { readonly slot: Slot<unknown>; readonly record: CommitRecord | undefined; readonly position: number };

/**
 * W1's commands through only the parts the design cannot leave out, in one loop, with no
 * framework around them: per command the payload check, the aggregate's slot (the one lookup a
 * router must make), decide with the event check, the msgpack encode of the commit record, and
 * the log's LMDB work inside a write transaction (the commandId dedupe read, then the commit, the
 * stream index and the commandId index puts; for a rejection the refusal, its commandId mark and
 * the last-refusal mark, as `refuse` writes them). A transaction holds up to `batch` commands,
 * at most one per aggregate; a command on an aggregate already in the batch waits for the next
 * one, because evolve runs only after the commit is in LMDB: the stored envelope is built from
 * the record and its position (as the log's `toEnvelopes` builds it), then fed to evolve.
 *
 * With `timed`, each part's main-thread time is summed into the budget's stages (route: the slot
 * lookup; decide: the transition, the collected emits and the event check; append: the LMDB work
 * and the envelope); without it the loop runs untimed, for the rate. The expected-version check
 * is the slot's own version here: this loop is the only writer, as the embedded log is.
 *
 * @example
 * ```ts
 * const log = openCeilingLog(dir.path);
 * const run = await runCeiling(xstateCore(), w1, log, { batch: 2000 });
 * ```
 */
export async function runCeiling<S>(core: CeilingCore<S>, w1: W1, log: CeilingLog, options: CeilingOptions): Promise<CeilingRun> {
  const { commits, streams, commands, refusals, marks } = log;
  let position = 0;
  const nextPosition = options.nextPosition ?? (() => ++position);
  const clock = options.timed ? () => performance.now() : () => 0;
  const parts = { validate: 0, route: 0, decide: 0, encode: 0, append: 0, evolve: 0 };
  const slots = new Map<string, Slot<S>>();
  const timestamp = Date.now();
  let accepted = 0;
  let rejected = 0;

  const step = (c: Command): Written => {
    const t0 = clock();
    const payload = core.validate(c);
    const t1 = clock();
    let slot = slots.get(c.id);
    if (slot === undefined) slots.set(c.id, (slot = { state: core.initial, version: 0 }));
    const t2 = clock();
    const decision = core.decide(slot.state, c.type, payload);
    const t3 = clock();
    parts.validate += t1 - t0;
    parts.route += t2 - t1;
    parts.decide += t3 - t2;
    const commandId = c.commandId!;
    const seen = commands.get(commandId);
    const t4 = clock();
    parts.append += t4 - t3;
    if (seen !== undefined) throw new Error(`commandId ${commandId} was decided before`);
    if (!decision.ok) {
      const at = nextPosition();
      marks.putSync(LAST_REFUSAL, at);
      commands.putSync(commandId, REFUSED);
      refusals.putSync(commandId, refusalOf(c, decision, timestamp));
      parts.append += clock() - t4;
      rejected++;
      return { slot, record: undefined, position: at };
    }
    const version = slot.version + decision.events.length;
    const record: CommitRecord = { aggregate: 'Account', id: c.id, version, commandId, correlationId: commandId, causationId: commandId, timestamp, events: decision.events };
    const bytes = encodeCommitRecordTransient(record);
    const t5 = clock();
    const at = nextPosition();
    commits.putSync(at, bytes);
    streams.putSync(['Account', c.id, version], at);
    commands.putSync(commandId, at);
    parts.encode += t5 - t4;
    parts.append += clock() - t5;
    return { slot, record, position: at };
  };

  // After the commit: the stored envelopes, then evolve.
  const settle = (written: readonly Written[]): void => {
    for (const { slot, record, position: at } of written) {
      if (record === undefined) continue;
      const t0 = clock();
      const envelopes = toEnvelopes(record, at);
      const t1 = clock();
      let state = slot.state as S;
      for (const e of envelopes) state = core.evolve(state, e);
      slot.state = state;
      slot.version = record.version;
      parts.append += t1 - t0;
      parts.evolve += clock() - t1;
      accepted++;
    }
  };

  const run = async (all: readonly Command[]): Promise<void> => {
    let deferred: Command[] = [];
    let next = 0;
    while (next < all.length || deferred.length > 0) {
      const ids = new Set<string>();
      const take: Command[] = [];
      const keep: Command[] = [];
      const offer = (c: Command) => {
        if (take.length < options.batch && !ids.has(c.id)) {
          ids.add(c.id);
          take.push(c);
        } else keep.push(c);
      };
      for (const c of deferred) offer(c);
      while (take.length < options.batch && next < all.length) offer(all[next++]!);
      deferred = keep;
      settle(await log.root.transaction(() => take.map(step)));
    }
  };

  await run(w1.open);
  const opened = accepted;
  accepted = 0;
  for (const k of Object.keys(parts) as Array<keyof typeof parts>) parts[k] = 0;
  await options.beforeOperations?.();
  let seconds = 0;
  const cost = await measureCost(w1.operations.length, async () => {
    const t0 = performance.now();
    await run(w1.operations);
    seconds = (performance.now() - t0) / 1000;
  });

  let mismatches = 0;
  for (const [id, balance] of w1.expected.balances) {
    const slot = slots.get(id);
    if (slot === undefined || core.balanceOf(slot.state) !== balance || slot.version !== w1.expected.versions.get(id)) mismatches++;
  }
  const ok = opened === w1.open.length && mismatches === 0 && accepted === w1.expected.accepted && rejected === w1.expected.rejected;
  if (!ok) console.error(`ceiling (${core.name}) differs from the model: ${mismatches} account mismatches, ${accepted} accepted, ${rejected} rejected`);
  const us = (ms: number) => (ms * 1000) / w1.operations.length;
  const stages = Object.fromEntries(STAGES.map((s) => [s, us((parts as Record<string, number>)[s] ?? 0)])) as Budget['stages'];
  const inStages = STAGES.reduce((sum, s) => sum + stages[s], 0);
  return { seconds, accepted, rejected, ok, budget: { ...cost, stages, other: cost.total - inStages } };
}

/**
 * Whether the log holds exactly what a run of `w1` must leave: one commit per accepted command,
 * one refusal per rejected one, every commandId once, and positions 1..N with no gap or reuse.
 *
 * @example
 * ```ts
 * const stored = checkCeilingLog(log, w1); // true when the log matches the model
 * ```
 */
export function checkCeilingLog(log: CeilingLog, w1: W1): boolean {
  const commits = w1.open.length + w1.expected.accepted;
  const positions = commits + w1.expected.rejected;
  let last = 0;
  for (const key of log.commits.getKeys({ reverse: true, limit: 1 })) last = key;
  const lastRefusal = log.marks.get(LAST_REFUSAL) ?? 0;
  const ok =
    log.commits.getCount() === commits &&
    log.refusals.getCount() === w1.expected.rejected &&
    log.commands.getCount() === w1.open.length + w1.operations.length &&
    Math.max(last, lastRefusal) === positions;
  if (!ok) console.error(`ceiling log: ${log.commits.getCount()}/${commits} commits, ${log.refusals.getCount()}/${w1.expected.rejected} refusals, last position ${Math.max(last, lastRefusal)}/${positions}`);
  return ok;
}
