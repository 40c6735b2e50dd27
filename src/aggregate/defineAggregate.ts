import type { AnyStateMachine, ContextFrom } from 'xstate';
import { ConfigError, ValidationError } from '../errors.js';
import { assertAggregateName } from '../eventLog/subjectToken.js';
import { checkEventSchemas } from '../evolution/eventCatalog.js';
import type { EventVersioning, PersonalFields } from '../evolution/eventSchemas.js';
import type { SchemaMap } from './aggregateTypes.js';

/**
 * An aggregate: its name, its XState machine and the schemas of its commands and events.
 * Made by {@link defineAggregate}; passed to `createApp({ aggregates })` and to `given()`.
 *
 * @example
 * ```ts
 * const app = await createApp({ engine: 'embedded', dataDir, aggregates: [Account] });
 * ```
 */
export type AggregateDefinition<
  Name extends string = string,
  Commands extends SchemaMap = SchemaMap,
  Events extends SchemaMap = SchemaMap,
  Machine extends AnyStateMachine = AnyStateMachine,
> = {
  readonly name: Name;
  readonly machine: Machine;
  readonly commands: Commands;
  readonly events: Events;
  /** Save a snapshot each time the version crosses a multiple of this; undefined: never. */
  readonly snapshotEvery: number | undefined;
  /** Event type → its schema version, upcasters and former names (see "Evolving events"). */
  readonly versions?: Readonly<Record<string, EventVersioning>>;
  /** Event type → its personal fields and their data subject (see "Personal data"). */
  readonly personal?: Readonly<Record<string, PersonalFields>>;
};

/**
 * Any aggregate definition, whatever its schemas and machine.
 *
 * @example
 * ```ts
 * const aggregates: AnyAggregateDefinition[] = [Order, Account, Customer];
 * ```
 */
export type AnyAggregateDefinition = AggregateDefinition<string, SchemaMap, SchemaMap, AnyStateMachine>;

/**
 * The machine context of an aggregate, for typed reads of `app.state(Aggregate, id)`.
 *
 * @example
 * ```ts
 * type AccountState = ContextOf<typeof Account>; // { owner: string; balance: number }
 * ```
 */
export type ContextOf<D extends AnyAggregateDefinition> = ContextFrom<D['machine']>;

/**
 * Options of {@link defineAggregate}.
 *
 * @example
 * ```ts
 * const options: DefineAggregateOptions<'Account', typeof commands, typeof events, typeof machine> =
 *   { name: 'Account', machine, commands, events, snapshotEvery: 100 };
 * ```
 */
export type DefineAggregateOptions<
  Name extends string,
  Commands extends SchemaMap,
  Events extends SchemaMap,
  Machine extends AnyStateMachine,
> = {
  /** Aggregate name: a letter then letters, digits or `_`; it becomes a NATS subject token. */
  name: Name;
  machine: Machine;
  /** Command type → schema of its payload. */
  commands: Commands;
  /** Event type → schema of its `data`. */
  events: Events;
  /**
   * Save a snapshot every this many events, so that loading a long-lived aggregate reads only the
   * events after it. Default: no snapshots. Bump the machine's `version` when its state shape
   * changes: snapshots of another version are ignored.
   */
  snapshotEvery?: number;
  /**
   * Event types whose schema changed: the current version (the schema in `events` is that
   * version's), an upcaster with an example from every older version, and former type names.
   * Stored events are upcast on every read; new ones are written at the current version.
   */
  versions?: Readonly<Record<string, EventVersioning>>;
  /**
   * Event types with personal fields: those fields are encrypted with their data subject's key
   * and read as `null` once `app.forget(subject)` deleted it.
   */
  personal?: Readonly<Record<string, PersonalFields>>;
};

// Command and event names become object keys, log fields and XState event types; a plain
// identifier keeps them clear of XState's reserved `xstate.*` and of Tributary's rejection type.
const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function isSchema(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { '~standard'?: { validate?: unknown } })['~standard']?.validate === 'function'
  );
}

function checkSchemas(aggregate: string, kind: 'command' | 'event', schemas: unknown): string[] {
  if (typeof schemas !== 'object' || schemas === null) {
    throw new ConfigError(`aggregate ${aggregate}: \`${kind}s\` must map each ${kind} type to a schema`);
  }
  const names = Object.keys(schemas);
  for (const name of names) {
    if (!TYPE_NAME.test(name)) {
      throw new ConfigError(`aggregate ${aggregate}: ${kind} type ${JSON.stringify(name)} must be a letter then letters, digits or _`);
    }
    if (!isSchema((schemas as Record<string, unknown>)[name])) {
      throw new ConfigError(`aggregate ${aggregate}: the schema of ${kind} ${name} is not a Standard Schema (zod, valibot, arktype, ...)`);
    }
  }
  return names;
}

/**
 * Ties a machine to its command and event schemas under an aggregate name. The machine reacts to
 * commands (guards, `emit`, `reject`; never `assign`) and to stored events (`assign`, targets).
 * Checks the definition up front and throws {@link ConfigError} when: the name is not a valid
 * aggregate name, a schema is not a Standard Schema, a command and an event share a type name,
 * a command has no transition anywhere in the machine, `snapshotEvery` is not a positive integer,
 * or `versions`/`personal` are wrong (a gap in an upcaster chain, an upcaster that throws on its
 * example, a personal field without a subject, personal fields with snapshots).
 *
 * @example
 * ```ts
 * export const Account = defineAggregate({
 *   name: 'Account',
 *   machine,
 *   commands: { OpenAccount: z.object({ owner: z.string() }), Deposit: z.object({ amount: z.number().int().positive() }) },
 *   events: { AccountOpened: z.object({ owner: z.string() }), Deposited: z.object({ amount: z.number().int() }) },
 * });
 * ```
 */
export function defineAggregate<
  const Name extends string,
  Commands extends SchemaMap,
  Events extends SchemaMap,
  Machine extends AnyStateMachine,
>(options: DefineAggregateOptions<Name, Commands, Events, Machine>): AggregateDefinition<Name, Commands, Events, Machine> {
  const { name, machine, commands, events, snapshotEvery, versions, personal } = options;
  try {
    assertAggregateName(name);
  } catch (err) {
    if (err instanceof ValidationError) throw new ConfigError(err.message, err.details);
    throw err;
  }
  if (typeof machine?.transition !== 'function' || typeof machine.root !== 'object') {
    throw new ConfigError(`aggregate ${name}: \`machine\` must be an XState machine (setup(...).createMachine(...))`);
  }
  const commandTypes = checkSchemas(name, 'command', commands);
  const eventTypes = new Set(checkSchemas(name, 'event', events));
  const handled = new Set<string>(machine.root.events);
  for (const type of commandTypes) {
    if (eventTypes.has(type)) {
      throw new ConfigError(`aggregate ${name}: ${type} is both a command and an event; command and event types must differ`);
    }
    if (!handled.has(type) && !handled.has('*')) {
      throw new ConfigError(`aggregate ${name}: command ${type} has no transition in the machine`);
    }
  }
  if (snapshotEvery !== undefined && !(Number.isSafeInteger(snapshotEvery) && snapshotEvery > 0)) {
    throw new ConfigError(`aggregate ${name}: snapshotEvery must be a positive integer, got ${String(snapshotEvery)}`);
  }
  checkEventSchemas({ name, events, versions, personal });
  if (personal !== undefined && Object.keys(personal).length > 0 && snapshotEvery !== undefined) {
    // A snapshot is the machine's state in the clear: it would keep personal data past a forget.
    throw new ConfigError(`aggregate ${name}: an aggregate with personal fields cannot take snapshots (snapshotEvery), which would hold them in the clear`);
  }
  return { name, machine, commands, events, snapshotEvery, ...(versions !== undefined && { versions }), ...(personal !== undefined && { personal }) };
}
