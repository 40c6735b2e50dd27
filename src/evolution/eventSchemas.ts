import type { StandardSchemaV1 } from '@standard-schema/spec';

/**
 * One step of an upcaster chain: a pure function from the data of version n to that of n + 1,
 * with an `example` of version-n data. The example is run through the rest of the chain when the
 * definition is made, so a step that throws, or a chain whose result fails the current schema,
 * is a `ConfigError` at start-up rather than a poison event in production.
 *
 * @example
 * ```ts
 * const step: UpcastStep = { example: { owner: 'Ada' }, upcast: (d: { owner: string }) => ({ holder: d.owner }) };
 * ```
 */
export type UpcastStep = {
  readonly example: unknown;
  // `never` accepts any parameter type, so each step can name the shape of its own version.
  readonly upcast: (data: never) => unknown;
};

/**
 * How an event type evolved: its current schema version, the upcasters from every older version
 * (keyed by the version they read: `1` reads v1 and returns v2), and former names of the type.
 * A rename is a version bump: stored events of a former name at version n read as this type at
 * version n, then go up the chain.
 *
 * @example
 * ```ts
 * const AccountOpened: EventVersioning = {
 *   version: 2,
 *   formerly: ['OwnerRegistered'],
 *   upcasters: { 1: { example: { owner: 'Ada' }, upcast: (d: { owner: string }) => ({ holder: d.owner }) } },
 * };
 * ```
 */
export type EventVersioning = {
  readonly version: number;
  readonly upcasters?: Readonly<Record<number, UpcastStep>>;
  readonly formerly?: readonly string[];
};

/**
 * The data subject of an event: a field of its data holding the subject id, or a function of the
 * event (for example the aggregate id).
 *
 * @example
 * ```ts
 * const bySelf: SubjectOf = ({ id }) => id;
 * const byField: SubjectOf = 'customerId';
 * ```
 */
export type SubjectOf = string | ((event: { readonly aggregate: string; readonly id: string; readonly data: never }) => string);

/**
 * Top-level fields of an event's data that are personal, and whose data subject they belong to.
 * They are encrypted with the subject's key before the commit is written; after
 * `app.forget(subject)` they read as `null`, listed in the envelope's `erased`.
 *
 * @example
 * ```ts
 * const registered: PersonalFields = { subject: ({ id }) => id, fields: ['name', 'email'] };
 * ```
 */
export type PersonalFields = {
  readonly subject: SubjectOf;
  readonly fields: readonly string[];
};

/**
 * What the event catalog reads from a definition: the events of one aggregate, their schemas,
 * versions and personal fields. An aggregate definition is one.
 *
 * @example
 * ```ts
 * const source: EventSchemaSource = { name: 'Account', events: { AccountOpened: z.object({ holder: z.string() }) } };
 * ```
 */
export type EventSchemaSource = {
  readonly name: string;
  readonly events: Readonly<Record<string, StandardSchemaV1>>;
  readonly versions?: Readonly<Record<string, EventVersioning>>;
  readonly personal?: Readonly<Record<string, PersonalFields>>;
};
