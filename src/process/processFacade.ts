import { TimeoutError, type TributaryError } from '../errors.js';
import type { EventLog } from '../eventLog/eventLog.js';
import type { PositionWaiters } from '../projection/positionWaiters.js';
import type { ProcessDefinition } from './defineProcess.js';
import type { InstanceRecord, OutboxEntry } from './processInstance.js';
import { instanceState, summarise } from './processReadouts.js';
import type { ProcessStore } from './processStore.js';
import type { Process, ProcessStatus } from './processTypes.js';

/**
 * What a runner shows of itself to its {@link Process} API: its maps as they are, its position,
 * state and error as they change, and how it resumes a halted instance.
 *
 * @example
 * ```ts
 * const view: ProcessRunnerView = { definition, log, store, instances, outbox, waiters, waitTimeout: 5000,
 *   processed: () => processed, state: () => state, error: () => error, resume };
 * ```
 */
export type ProcessRunnerView = {
  readonly definition: ProcessDefinition;
  readonly log: EventLog;
  readonly store: ProcessStore;
  readonly instances: ReadonlyMap<string, InstanceRecord>;
  readonly outbox: ReadonlyMap<string, OutboxEntry>;
  readonly waiters: PositionWaiters;
  /** Default timeout of `waitFor` and `settled`, in ms. */
  readonly waitTimeout: number;
  processed(): number;
  state(): ProcessStatus['state'];
  error(): TributaryError | undefined;
  resume(instance: string, mode: 'retry' | 'skip'): Promise<void>;
};

/**
 * The {@link Process} API of a runner: status, instance states and inputs, waiting, and
 * retry/skip of halted instances. It reads the runner's state and changes nothing itself.
 *
 * @example
 * ```ts
 * const process = createProcessFacade(view);
 * await process.settled();
 * ```
 */
export function createProcessFacade(view: ProcessRunnerView): Process {
  const { definition, log, store, instances, outbox, waiters, waitTimeout } = view;
  const name = definition.name;
  return {
    name,
    async status() {
      const processed = view.processed();
      let headPosition = processed;
      try {
        headPosition = await log.headPosition();
      } catch {
        // A closed log still lets the status be read.
      }
      const { timers: pendingTimers, halted } = summarise(instances.values());
      const error = view.error();
      return {
        name,
        state: view.state(),
        position: processed,
        headPosition,
        lag: Math.max(0, headPosition - processed),
        instances: instances.size,
        outbox: outbox.size,
        timers: pendingTimers,
        halted,
        ...(error ? { error: error.toShape() } : {}),
      };
    },
    async state(instance) {
      const record = instances.get(instance);
      return record && instanceState(definition, record);
    },
    recordedInputs: (instance) => store.recordedInputs(instance),
    async waitFor(position, wait = {}) {
      if (position <= view.processed()) return;
      const error = view.error();
      if (view.state() === 'failed' && error) throw error;
      await waiters.wait(position, wait.timeout ?? waitTimeout);
    },
    async settled(wait = {}) {
      const deadline = performance.now() + (wait.timeout ?? waitTimeout);
      for (;;) {
        const error = view.error();
        if (view.state() === 'failed' && error) throw error;
        const head = await log.headPosition();
        if (head <= view.processed() && outbox.size === 0) return;
        if (performance.now() > deadline) {
          throw new TimeoutError(`process ${name} did not settle in time: position ${view.processed()} of ${head}, ${outbox.size} commands unanswered`, { process: name });
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    retry: (instance) => view.resume(instance, 'retry'),
    skip: (instance) => view.resume(instance, 'skip'),
  };
}
