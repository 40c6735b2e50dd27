import type { AnyMachineSnapshot } from 'xstate';
import type { ErrorShape } from '../errors.js';
import type { ProcessInput } from './processInstance.js';

/**
 * An instance that stopped on an input, as the status reports it.
 *
 * @example
 * ```ts
 * const h: HaltedInstance = { instance: 'o-1', error: { code: 'process_halted', message: '...' }, input: 'OrderPlaced (Order/o-1) at position 3', parked: 0 };
 * ```
 */
export type HaltedInstance = {
  readonly instance: string;
  readonly error: ErrorShape;
  readonly input: string;
  /** Inputs that arrived since, applied in order when it resumes. */
  readonly parked: number;
  /** The commandId it is stuck on, when a command could not be delivered. */
  readonly stuck?: string;
};

/**
 * A process's status: where it is in the log, what it still has to do, what stopped.
 *
 * @example
 * ```ts
 * const s = await app.process(Fulfilment).status();
 * console.log(s.position, s.lag, s.outbox, s.timers, s.halted.length);
 * ```
 */
export type ProcessStatus = {
  readonly name: string;
  /** `running`; `failed` when its store or the log failed (see `error`); `stopped`; `standby` on a NATS node that does not own it. */
  readonly state: 'running' | 'stopped' | 'failed' | 'standby';
  readonly position: number;
  readonly headPosition: number;
  readonly lag: number;
  readonly instances: number;
  /** Commands decided and not yet answered. */
  readonly outbox: number;
  /** Timers set and not yet fired or cancelled. */
  readonly timers: number;
  readonly halted: readonly HaltedInstance[];
  readonly error?: ErrorShape;
};

/**
 * An instance's current state.
 *
 * @example
 * ```ts
 * const s = await app.process(Fulfilment).state('o-1'); // { value: 'shipped', context: {...}, done: true, inputs: 4, timers: [] }
 * ```
 */
export type ProcessInstanceState = {
  readonly value: AnyMachineSnapshot['value'];
  readonly context: unknown;
  readonly done: boolean;
  readonly inputs: number;
  readonly timers: readonly { readonly id: string; readonly dueAt: number }[];
  readonly halted?: HaltedInstance;
};

/**
 * A running process manager, as an app exposes it.
 *
 * @example
 * ```ts
 * const fulfilment = app.process(Fulfilment);
 * await fulfilment.waitFor(r.position);
 * const halted = (await fulfilment.status()).halted;
 * if (halted[0]) await fulfilment.skip(halted[0].instance);
 * ```
 */
export type Process = {
  readonly name: string;
  status(): Promise<ProcessStatus>;
  /** Undefined for an instance that has taken no input. */
  state(instance: string): Promise<ProcessInstanceState | undefined>;
  /** The inputs an instance took, in order (events, timer firings, answers). */
  recordedInputs(instance: string): Promise<ProcessInput[]>;
  /** Resolves once every commit up to `position` is taken (not necessarily its commands answered). */
  waitFor(position: number, options?: { timeout?: number }): Promise<void>;
  /** Resolves once the process has taken the whole log and its outbox is empty. */
  settled(options?: { timeout?: number }): Promise<void>;
  /** Takes a halted instance's input again (or re-sends its stuck command), then what was parked. */
  retry(instance: string): Promise<void>;
  /** Drops a halted instance's input (a stuck command gets its `CommandFailed` answer), then takes what was parked. */
  skip(instance: string): Promise<void>;
};
