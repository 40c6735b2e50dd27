import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ConfigError } from '../errors.js';
import type { EventSchemaSource, EventVersioning, PersonalFields } from './eventSchemas.js';

/**
 * How one event type of one aggregate is read and written: its current name and version, the
 * upcaster steps (`steps[n - 1]` turns version n into n + 1), its schema, and its personal fields.
 *
 * @example
 * ```ts
 * const rule = catalog.rule('Customer', 'UserAddressUpdated'); // { version: 2, steps: [fn], ... }
 * ```
 */
export type EventRule = {
  readonly aggregate: string;
  readonly type: string;
  readonly version: number;
  readonly steps: readonly ((data: unknown) => unknown)[];
  readonly schema: StandardSchemaV1;
  readonly personal: { readonly subject: (event: { aggregate: string; id: string; data: unknown }) => unknown; readonly fields: readonly string[] } | undefined;
};

/**
 * Every event type that is versioned or holds personal data, across the definitions of an app.
 * Types it does not know are read and written as they are.
 *
 * @example
 * ```ts
 * const catalog = createEventCatalog([Customer, Account]);
 * catalog.rule('Account', 'OwnerRegistered')?.type; // 'AccountOpened' (a former name)
 * ```
 */
export type EventCatalog = {
  /** The rule for a stored type, by its current name or a former one. */
  rule(aggregate: string, type: string): EventRule | undefined;
  /** False when no definition versions an event or marks a personal field: reads can skip it. */
  readonly active: boolean;
  /** Aggregates with personal fields in some event. */
  readonly personalAggregates: ReadonlySet<string>;
  /** Event types with personal fields, under their current and former names. */
  readonly personalTypes: ReadonlySet<string>;
  /**
   * Per aggregate with versioned events, its event versions as one string (`A@2,B@3`): snapshots
   * are tagged with it, and one taken under other versions is ignored.
   */
  readonly snapshotTags: ReadonlyMap<string, string>;
};

type Rules = Map<string, Map<string, EventRule>>;

function fail(source: string, type: string, message: string): never {
  throw new ConfigError(`aggregate ${source}: event ${type}: ${message}`, { aggregate: source, event: type });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function syncIssues(schema: StandardSchemaV1, value: unknown): readonly StandardSchemaV1.Issue[] | undefined {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) throw new ConfigError('the schema of an upcast event must validate synchronously');
  return result.issues;
}

function stepsOf(source: string, type: string, v: EventVersioning): ((data: unknown) => unknown)[] {
  if (!Number.isSafeInteger(v.version) || v.version < 1) fail(source, type, `version must be a positive integer, got ${String(v.version)}`);
  const upcasters = v.upcasters ?? {};
  const steps: ((data: unknown) => unknown)[] = [];
  for (let n = 1; n < v.version; n++) {
    const step = upcasters[n];
    if (step === undefined || typeof step.upcast !== 'function') {
      fail(source, type, `version ${v.version} needs an upcaster from every older version; the one from version ${n} to ${n + 1} is missing`);
    }
    steps.push(step.upcast as (data: unknown) => unknown);
  }
  const extra = Object.keys(upcasters).filter((k) => !(Number(k) >= 1 && Number(k) < v.version));
  if (extra.length > 0) fail(source, type, `upcasters from version ${extra.join(', ')} do not lead to version ${v.version}`);
  for (const former of v.formerly ?? []) {
    if (typeof former !== 'string' || former === type) fail(source, type, `formerly must list other type names, got ${JSON.stringify(former)}`);
  }
  return steps;
}

function subjectFn(source: string, type: string, p: PersonalFields): NonNullable<EventRule['personal']>['subject'] {
  const subject = p?.subject;
  if (typeof subject === 'function') return subject as NonNullable<EventRule['personal']>['subject'];
  if (typeof subject === 'string' && subject !== '') return ({ data }) => (data as Record<string, unknown> | null)?.[subject];
  return fail(source, type, 'personal fields need a `subject`: the data field or function giving their data subject (for example ({ id }) => id)');
}

function personalOf(source: string, type: string, p: PersonalFields | undefined): EventRule['personal'] {
  if (p === undefined) return undefined;
  const subject = subjectFn(source, type, p);
  if (!Array.isArray(p.fields) || p.fields.length === 0 || !p.fields.every((f) => typeof f === 'string' && f !== '')) {
    fail(source, type, 'personal `fields` must be a non-empty list of top-level field names');
  }
  if (typeof p.subject === 'string' && p.fields.includes(p.subject)) fail(source, type, `the subject field ${p.subject} cannot itself be personal`);
  return { subject, fields: [...p.fields] };
}

/** Runs data of version `from` up the chain; throws what a step throws. */
function climb(steps: readonly ((data: unknown) => unknown)[], from: number, data: unknown): unknown {
  let out = data;
  for (let n = from; n <= steps.length; n++) out = steps[n - 1]!(out);
  return out;
}

// Every example goes up the rest of the chain and must then pass the current schema; with its
// personal fields erased (null) it must still go up without throwing, since erased events do.
function checkExamples(source: string, rule: EventRule, v: EventVersioning): void {
  for (let n = 1; n < rule.version; n++) {
    const example = v.upcasters![n]!.example;
    let result: unknown;
    try {
      result = climb(rule.steps, n, structuredClone(example));
    } catch (err) {
      fail(source, rule.type, `the upcaster chain from version ${n} threw on its example: ${messageOf(err)}`);
    }
    const issues = syncIssues(rule.schema, result);
    if (issues !== undefined) {
      fail(source, rule.type, `the example of version ${n}, upcast to version ${rule.version}, fails the schema: ${issues.map((i) => i.message).join('; ')}`);
    }
    if (rule.personal !== undefined && example !== null && typeof example === 'object') {
      const erased: Record<string, unknown> = { ...(example as Record<string, unknown>) };
      for (const f of rule.personal.fields) if (f in erased) erased[f] = null;
      try {
        climb(rule.steps, n, erased);
      } catch (err) {
        fail(source, rule.type, `the upcaster chain from version ${n} threw on its example with the personal fields erased (null): ${messageOf(err)}`);
      }
    }
  }
}

/**
 * Checks the versions and personal fields of one definition, throwing `ConfigError` for a gap in
 * an upcaster chain, an upcaster that throws on its example (or on it with personal fields
 * erased), a chain whose result fails the current schema, a personal field without a subject, or
 * a declaration for an event the definition does not have. Returns its rules.
 *
 * @example
 * ```ts
 * const rules = checkEventSchemas({ name: 'Account', events, versions: { AccountOpened: { version: 2, upcasters } } });
 * ```
 */
export function checkEventSchemas(source: EventSchemaSource): EventRule[] {
  const { name, events } = source;
  const versions = source.versions ?? {};
  const personal = source.personal ?? {};
  for (const [label, map] of [['versions', versions], ['personal', personal]] as const) {
    if (typeof map !== 'object' || map === null) throw new ConfigError(`aggregate ${name}: \`${label}\` must map event types to declarations`);
    for (const type of Object.keys(map)) {
      if (!Object.hasOwn(events, type)) fail(name, type, `\`${label}\` names an event the aggregate does not have`);
    }
  }
  const rules: EventRule[] = [];
  for (const type of new Set([...Object.keys(versions), ...Object.keys(personal)])) {
    const v = versions[type] ?? { version: 1 };
    const rule: EventRule = {
      aggregate: name,
      type,
      version: v.version,
      steps: stepsOf(name, type, v),
      schema: events[type]!,
      personal: personalOf(name, type, personal[type]),
    };
    checkExamples(name, rule, v);
    for (const former of v.formerly ?? []) {
      if (Object.hasOwn(events, former)) fail(name, type, `former name ${former} is still an event of the aggregate`);
    }
    rules.push(rule);
  }
  return rules;
}

function add(rules: Rules, key: string, rule: EventRule): void {
  let byType = rules.get(rule.aggregate);
  if (byType === undefined) rules.set(rule.aggregate, (byType = new Map()));
  const known = byType.get(key);
  if (known !== undefined && (known.type !== rule.type || known.version !== rule.version)) {
    throw new ConfigError(`aggregate ${rule.aggregate}: two definitions read stored ${key} differently (as ${known.type} v${known.version} and ${rule.type} v${rule.version})`);
  }
  if (known === undefined) byType.set(key, rule);
}

/**
 * Builds the catalog of an app from its definitions (checked as {@link checkEventSchemas} does).
 * Two definitions of one aggregate must agree.
 *
 * @example
 * ```ts
 * const catalog = createEventCatalog([Customer, Account, Order]);
 * ```
 */
export function createEventCatalog(sources: readonly EventSchemaSource[]): EventCatalog {
  const rules: Rules = new Map();
  const seen = new Map<string, EventSchemaSource>();
  const personalAggregates = new Set<string>();
  const personalTypes = new Set<string>();
  for (const source of sources) {
    // The same definition given twice (an aggregate and a projection's copy of it) is one.
    if (seen.get(source.name) === source) continue;
    seen.set(source.name, source);
    const versions = source.versions ?? {};
    for (const rule of checkEventSchemas(source)) {
      add(rules, rule.type, rule);
      for (const former of versions[rule.type]?.formerly ?? []) add(rules, former, rule);
      if (rule.personal !== undefined) {
        personalAggregates.add(rule.aggregate);
        for (const t of [rule.type, ...(versions[rule.type]?.formerly ?? [])]) personalTypes.add(t);
      }
    }
  }
  const snapshotTags = new Map<string, string>();
  for (const [aggregate, byType] of rules) {
    const current = [...new Set(byType.values())].filter((r) => r.version > 1).map((r) => `${r.type}@${r.version}`).sort();
    if (current.length > 0) snapshotTags.set(aggregate, current.join(','));
  }
  return {
    rule: (aggregate, type) => rules.get(aggregate)?.get(type),
    active: rules.size > 0,
    personalAggregates,
    personalTypes,
    snapshotTags,
  };
}
