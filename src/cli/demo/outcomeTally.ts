import type { Command, CommandResult } from '../../commands/command.js';
import type { ExpectedOutcome } from './demoModel.js';
import { plural } from './textFormat.js';

/**
 * The counts of a demo run, each command's result compared with what the model expected.
 * `failed` holds errors no correct run has (`conflict`, `timeout`, `internal`, ...), by code.
 *
 * @example
 * ```ts
 * const tally = createOutcomeTally(workload.commands, workload.expected);
 * tally.record(0, await app.send(workload.commands[0]!));
 * console.log(tally.accepted, tally.rejected.get('InsufficientFunds'), tally.mismatches);
 * ```
 */
export type OutcomeTally = {
  record(index: number, result: CommandResult): void;
  /** Commands recorded so far. */
  readonly done: number;
  readonly accepted: number;
  /** Events in the accepted commands' commits. */
  readonly events: number;
  /** Rejected by an aggregate, by reason. */
  readonly rejected: ReadonlyMap<string, number>;
  /** Refused before reaching an aggregate, by error code (`invalid`, `unknown_command`). */
  readonly invalid: ReadonlyMap<string, number>;
  readonly failed: ReadonlyMap<string, number>;
  /** Commands whose result differs from the model's expectation. */
  readonly mismatches: number;
  /** The first few mismatches, described. */
  readonly examples: readonly string[];
};

const MAX_EXAMPLES = 5;

function describeExpected(e: ExpectedOutcome): string {
  if (e.kind === 'accepted') return `accepted (${plural(e.events, 'event')})`;
  return e.kind === 'rejected' ? e.reason : e.code;
}

function describeResult(r: CommandResult): string {
  if (r.ok) return `accepted (${plural(r.events.length, 'event')})`;
  return r.error.code === 'rejected' ? String(r.error.details?.reason) : `${r.error.code}: ${r.error.message}`;
}

function matches(e: ExpectedOutcome, r: CommandResult): boolean {
  if (e.kind === 'accepted') return r.ok && r.events.length === e.events;
  if (r.ok) return false;
  return e.kind === 'rejected' ? r.error.code === 'rejected' && r.error.details?.reason === e.reason : r.error.code === e.code;
}

const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/**
 * Creates an empty {@link OutcomeTally} for a workload's commands and expected outcomes.
 *
 * @example
 * ```ts
 * const tally = createOutcomeTally(commands, expected);
 * await runWindowed(commands, 256, (c) => app.send(c), (r, i) => tally.record(i, r));
 * ```
 */
export function createOutcomeTally(commands: readonly Command[], expected: readonly ExpectedOutcome[]): OutcomeTally {
  const rejected = new Map<string, number>();
  const invalid = new Map<string, number>();
  const failed = new Map<string, number>();
  const examples: string[] = [];
  let done = 0;
  let accepted = 0;
  let events = 0;
  let mismatches = 0;

  return {
    record(index, result) {
      done += 1;
      if (result.ok) {
        accepted += 1;
        events += result.events.length;
      } else if (result.error.code === 'rejected') {
        bump(rejected, String(result.error.details?.reason ?? 'unknown'));
      } else if (result.error.code === 'invalid' || result.error.code === 'unknown_command') {
        bump(invalid, result.error.code);
      } else {
        bump(failed, result.error.code);
      }
      const e = expected[index]!;
      if (matches(e, result)) return;
      mismatches += 1;
      if (examples.length < MAX_EXAMPLES) {
        const c = commands[index]!;
        examples.push(`#${index} ${c.type} ${c.aggregate}/${c.id}: expected ${describeExpected(e)}, got ${describeResult(result)}`);
      }
    },
    get done() {
      return done;
    },
    get accepted() {
      return accepted;
    },
    get events() {
      return events;
    },
    rejected,
    invalid,
    failed,
    get mismatches() {
      return mismatches;
    },
    examples,
  };
}
