import { createActor, type AnyActorScope, type AnyMachineSnapshot, type AnyStateMachine, type ExecutableActionObject, type Snapshot } from 'xstate';

/**
 * The one place where the host meets XState. It takes transitions as XState's pure
 * `transition(machine, snapshot, event)` does (the same `machine.transition` with an inert actor
 * scope that collects the resolved actions), but with one scope per machine instead of a new
 * actor per call: `xstate.transition()` creates an actor each time, which costs more than the
 * transition itself. Sharing is safe because transitions are synchronous and the action buffer
 * is reset at the start of each one. `test/unit/aggregate/machineAdapter.test.ts` checks that it
 * agrees with `xstate.transition()` on the example machines.
 *
 * @example
 * ```ts
 * const adapter = machineAdapter(Account.machine);
 * const next = adapter.transition(adapter.initial, { type: 'Deposit', payload: { amount: 5 } });
 * const emitted = adapter.actions.filter((a) => a.type === 'xstate.emit');
 * ```
 */
export type MachineAdapter = {
  readonly machine: AnyStateMachine;
  /** The initial snapshot; snapshots are immutable, so every fresh instance shares it. */
  readonly initial: AnyMachineSnapshot;
  /**
   * True when the machine has eventless (`always`) transitions: one whose guard reads the event
   * could fire on a command no transition takes, so "not accepted" must be asked of `can()` first.
   */
  readonly canFirst: boolean;
  /** The actions the last `transition` (or `restore`) resolved, until the next call. */
  readonly actions: readonly ExecutableActionObject[];
  /** The next snapshot; the resolved actions are left in `actions`. Throws what the machine throws. */
  transition(snapshot: AnyMachineSnapshot, event: { readonly type: string }): AnyMachineSnapshot;
  /** A snapshot from XState's persisted form. Throws when it does not fit the machine. */
  restore(persisted: unknown): AnyMachineSnapshot;
  /** XState's persisted form of a snapshot. */
  persist(snapshot: AnyMachineSnapshot): unknown;
};

const adapters = new WeakMap<AnyStateMachine, MachineAdapter>();

function hasEventlessTransitions(node: AnyStateMachine['root']): boolean {
  if (node.always !== undefined && node.always.length > 0) return true;
  return Object.values(node.states).some(hasEventlessTransitions);
}

function create(machine: AnyStateMachine): MachineAdapter {
  // Never started: it only lends the scope a `self` and a `system`, as xstate.transition() does.
  const self = createActor(machine);
  const actions: ExecutableActionObject[] = [];
  const scope: AnyActorScope = {
    self,
    id: '',
    sessionId: '',
    system: self.system,
    logger: () => {},
    defer: () => {},
    emit: () => {},
    stopChild: () => {},
    actionExecutor: (action) => {
      actions.push(action);
    },
  };
  // Setting an array's length is a runtime call, so it is only made when there is something to drop.
  const reset = (): void => {
    if (actions.length !== 0) actions.length = 0;
  };
  reset();
  const initial = machine.getInitialSnapshot(scope);
  reset();
  return {
    machine,
    initial,
    canFirst: hasEventlessTransitions(machine.root),
    actions,
    transition(snapshot, event) {
      reset();
      return machine.transition(snapshot, event as never, scope);
    },
    restore(persisted) {
      reset();
      return machine.restoreSnapshot(persisted as Snapshot<unknown>, scope) as AnyMachineSnapshot;
    },
    persist(snapshot) {
      return machine.getPersistedSnapshot(snapshot);
    },
  };
}

/**
 * The adapter of a machine, made once per machine and shared by all its instances.
 *
 * @example
 * ```ts
 * const { initial } = machineAdapter(Order.machine);
 * ```
 */
export function machineAdapter(machine: AnyStateMachine): MachineAdapter {
  let adapter = adapters.get(machine);
  if (adapter === undefined) {
    adapter = create(machine);
    adapters.set(machine, adapter);
  }
  return adapter;
}
