/**
 * A history is a list of plain-data steps, so that a shrunk counterexample prints as data and can
 * be pasted into test/property/regressions/ as is. Commands are symbolic where the value depends on
 * the run: commandIds are numbered at run time (`k1`, `k2`, ...), a re-send names an earlier
 * command by index, and an expected version is "the version the sender read" (current or stale).
 */
import type fc from 'fast-check';
import type { ProjectionName } from './model/readModels.js';

/** How to spoil an otherwise well-formed command envelope. */
export type Mangle = 'null' | 'string' | 'array' | 'emptyType' | 'noPayload' | 'negativeVersion' | 'emptyCommandId' | 'numericId';

/** One command as generated. `payload` absent means the command has no payload at all. */
export type CommandSpec = {
  readonly aggregate: string;
  readonly id: string;
  readonly type: string;
  readonly payload?: unknown;
  /** Send with a commandId (numbered at run time); false: let the system generate one. */
  readonly cid: boolean;
  /** expectedVersion: the version at the start of the step ('current'), or one that is off ('stale'). */
  readonly expect?: 'current' | 'stale';
  readonly correlationId?: string;
  readonly mangle?: Mangle;
};

/** Send again, unchanged, the `resend % n`-th command sent so far (same commandId): a retry. */
export type Resend = { readonly resend: number };
export type Entry = CommandSpec | Resend;

export type Step =
  /** One command, awaited. */
  | { readonly kind: 'send'; readonly cmd: Entry; readonly remote: boolean }
  /** Commands sent one after the other, each awaited. */
  | { readonly kind: 'sequence'; readonly cmds: readonly Entry[]; readonly remote: boolean }
  /** Several commands in flight at once (issued in this order, awaited together). */
  | { readonly kind: 'concurrent'; readonly cmds: readonly Entry[]; readonly remote: boolean }
  /**
   * Close and reopen the app and the projections, with `during` in flight: they are issued, then
   * after `ticks` turns of the event loop the closing starts, in the given order.
   */
  | {
      readonly kind: 'restart';
      readonly during: readonly Entry[];
      readonly order: 'projections-first' | 'app-first' | 'together';
      readonly ticks: number;
      readonly remote: boolean;
    }
  /** Wait for the projections to reach the head, and compare the read state with the model. */
  | { readonly kind: 'settle' }
  /** Rebuild one projection while `during` is sent. */
  | { readonly kind: 'rebuild'; readonly projection: ProjectionName; readonly during: readonly Entry[] }
  /** Close the projections and reopen them, resuming each change stream with `changesFrom`. */
  | { readonly kind: 'resume'; readonly from: 'next' | 'start' };

export const isResend = (e: Entry): e is Resend => 'resend' in e;

function describeEntry(e: Entry): string {
  if (isResend(e)) return `resend#${e.resend}`;
  const payload = e.payload === undefined ? '(no payload)' : JSON.stringify(e.payload);
  const extras = [
    e.cid ? '' : 'no-cid',
    e.expect ? `expect=${e.expect}` : '',
    e.correlationId ? `corr=${e.correlationId}` : '',
    e.mangle ? `mangle=${e.mangle}` : '',
  ].filter(Boolean);
  return `${e.type} ${e.aggregate}/${e.id} ${payload}${extras.length ? ` [${extras.join(' ')}]` : ''}`;
}

/** One line per step, for counterexamples. */
export function describeStep(s: Step): string {
  const via = 'remote' in s && s.remote ? ' (remote)' : '';
  switch (s.kind) {
    case 'send':
      return `send${via} ${describeEntry(s.cmd)}`;
    case 'sequence':
      return `sequence${via} { ${s.cmds.map(describeEntry).join(' ; ')} }`;
    case 'concurrent':
      return `concurrent${via} { ${s.cmds.map(describeEntry).join(' | ')} }`;
    case 'restart':
      return `restart(${s.order}, ticks=${s.ticks})${via} during { ${s.during.map(describeEntry).join(' | ')} }`;
    case 'settle':
      return 'settle';
    case 'rebuild':
      return `rebuild ${s.projection} during { ${s.during.map(describeEntry).join(' | ')} }`;
    case 'resume':
      return `resume projections (changesFrom ${s.from})`;
  }
}

/** What a step command runs against: the harness's history runner(s). */
export type StepTarget = { run(step: Step): Promise<void> };

/**
 * A step as a fast-check model-based command: `run` executes it on the system and checks every
 * outcome against the reference model held by the target.
 */
export class StepCommand implements fc.AsyncCommand<object, StepTarget> {
  constructor(readonly step: Step) {}
  check(): boolean {
    return true;
  }
  async run(_model: object, target: StepTarget): Promise<void> {
    await target.run(this.step);
  }
  toString(): string {
    return describeStep(this.step);
  }
}

/** Steps (e.g. from a regression file) as the commands `fc.commands` would produce. */
export const toCommands = (steps: readonly Step[]): StepCommand[] => steps.map((s) => new StepCommand(s));

/** The steps of a (possibly shrunk) command sequence; fast-check hands them out wrapped (`.cmd`). */
export const stepsOf = (commands: Iterable<fc.AsyncCommand<object, StepTarget>>): Step[] =>
  [...commands].map((c) => ((c as { cmd?: StepCommand }).cmd ?? (c as StepCommand)).step);
