import { CodecError } from '../errors.js';
import type { EventEnvelope } from '../eventLog/eventLog.js';
import type { EventCatalog, EventRule } from './eventCatalog.js';
import { openValues, type SubjectKey } from './sealFields.js';

/**
 * The key of a data subject as a read sees it: `undefined` once the subject is forgotten.
 *
 * @example
 * ```ts
 * const keyOf: KeyLookup = (subject) => cache.get(subject);
 * ```
 */
export type KeyLookup = (subject: string) => SubjectKey | undefined;

/**
 * What sealed fields are authenticated with: the event's place in the log, known before the
 * append (`eventId` is `<commandId>/<index>`).
 *
 * @example
 * ```ts
 * sealContext('Customer', 'c-1', 'cmd-1/0'); // 'Customer/c-1/cmd-1/0'
 * ```
 */
export function sealContext(aggregate: string, id: string, eventId: string): string {
  return `${aggregate}/${id}/${eventId}`;
}

function where(envelope: EventEnvelope, rule: EventRule | undefined) {
  return {
    aggregate: envelope.aggregate,
    id: envelope.id,
    type: envelope.type,
    ...(rule !== undefined && rule.type !== envelope.type && { currentType: rule.type }),
    schemaVersion: envelope.schemaVersion ?? 1,
    position: envelope.position,
    eventId: envelope.eventId,
  };
}

function poison(envelope: EventEnvelope, rule: EventRule | undefined, what: string, extra?: Record<string, unknown>): CodecError {
  const v = envelope.schemaVersion ?? 1;
  return new CodecError(
    `stored event ${envelope.type} v${v} (${envelope.aggregate}/${envelope.id}) at position ${envelope.position}: ${what}`,
    { ...where(envelope, rule), ...extra },
  );
}

/**
 * The current event in a fresh envelope of a fixed shape, without `sealed`: cheaper than a rest
 * spread. `schemaVersion` is left out at version 1, as it is in the log (absent means 1), so an
 * event reads the same whether or not it went through here.
 *
 * @example
 * ```ts
 * const event = currentEnvelope(stored, 'AccountOpened', { holder: 'Ada' }, 2, undefined);
 * ```
 */
export function currentEnvelope(e: EventEnvelope, type: string, data: unknown, schemaVersion: number | undefined, erased: readonly string[] | undefined): EventEnvelope {
  const out: { -readonly [K in keyof EventEnvelope]: EventEnvelope[K] } = {
    type,
    data,
    eventId: e.eventId,
    aggregate: e.aggregate,
    id: e.id,
    version: e.version,
    position: e.position,
    timestamp: e.timestamp,
    commandId: e.commandId,
    correlationId: e.correlationId,
    causationId: e.causationId,
  };
  // Assigned, not spread: V8 copies a spread envelope with a new field slowly (µs, not ns).
  if (schemaVersion !== undefined && schemaVersion !== 1) out.schemaVersion = schemaVersion;
  if (erased !== undefined) out.erased = erased;
  return out;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// A forgotten subject (no key, or only a newer key) reads as erased; a box that the right key
// cannot open is corruption, and is reported.
function unseal(envelope: EventEnvelope, keyOf: KeyLookup, rule: EventRule | undefined): { data: unknown; erased: readonly string[] | undefined } {
  const sealed = envelope.sealed!;
  const base = { ...(envelope.data as Record<string, unknown>) };
  const key = keyOf(sealed.subject);
  if (key === undefined || key.id !== sealed.keyId) {
    for (const f of sealed.fields) base[f] = null;
    return { data: base, erased: sealed.fields };
  }
  let values: Record<string, unknown>;
  try {
    values = openValues(key, sealContext(envelope.aggregate, envelope.id, envelope.eventId), sealed.box);
  } catch (err) {
    throw poison(envelope, rule, `its sealed personal fields do not open with the subject's key (corrupt ciphertext?): ${messageOf(err)}`, {
      subject: sealed.subject,
    });
  }
  for (const f of sealed.fields) base[f] = values[f];
  return { data: base, erased: undefined };
}

function onErased(path: readonly unknown[] | undefined, erased: readonly string[] | undefined, personal: readonly string[] | undefined): boolean {
  if (erased === undefined || path === undefined || path.length === 0) return false;
  const head = path[0]!;
  const first = String(typeof head === 'object' && head !== null ? (head as { key: PropertyKey }).key : head);
  return erased.includes(first) || (personal?.includes(first) ?? false);
}

/**
 * THE read path of stored events: every reader (rehydration, snapshot tails, `readStream`,
 * projections, change streams, processes) turns a stored envelope into the current event with
 * this. It opens sealed personal fields with the subject's key (erased ones read as `null`,
 * listed in `erased`), then runs the upcasters from the stored schema version to the current one
 * (a rename too) and checks the result against the current schema. The log is never rewritten.
 *
 * An event that cannot become a current one is a poison event: a `CodecError` naming type,
 * version, position and the problem (a failing upcaster, a schema issue, a version newer than
 * this code, a corrupt ciphertext). It is never silently skipped. Issues on erased fields are
 * not problems: erased fields are `null` whatever the schema says.
 *
 * @example
 * ```ts
 * const current = readEvent(catalog, stored, (subject) => keys.get(subject));
 * ```
 */
export function readEvent(catalog: EventCatalog, envelope: EventEnvelope, keyOf: KeyLookup): EventEnvelope {
  const rule = catalog.rule(envelope.aggregate, envelope.type);
  if (envelope.sealed === undefined && (rule === undefined || (rule.type === envelope.type && rule.version === (envelope.schemaVersion ?? 1)))) {
    return envelope;
  }
  let data = envelope.data;
  let erased: readonly string[] | undefined;
  if (envelope.sealed !== undefined) ({ data, erased } = unseal(envelope, keyOf, rule));
  if (rule === undefined) return currentEnvelope(envelope, envelope.type, data, envelope.schemaVersion, erased);
  const stored = envelope.schemaVersion ?? 1;
  if (stored > rule.version) {
    throw poison(envelope, rule, `this code knows ${rule.type} only up to version ${rule.version}`);
  }
  const upcast = stored < rule.version || rule.type !== envelope.type;
  for (let n = stored; n < rule.version; n++) {
    try {
      data = rule.steps[n - 1]!(data);
    } catch (err) {
      throw poison(envelope, rule, `the upcaster from version ${n} to ${n + 1} threw: ${messageOf(err)}`);
    }
  }
  if (upcast) {
    const result = rule.schema['~standard'].validate(data);
    if (result instanceof Promise) throw poison(envelope, rule, 'its schema validates asynchronously; upcast events need a synchronous schema');
    const issues = result.issues?.filter((i) => !onErased(i.path, erased, rule.personal?.fields));
    if (issues !== undefined && issues.length > 0) {
      const listed = issues.map((i) => ({ path: (i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.'), message: i.message }));
      throw poison(envelope, rule, `upcast to ${rule.type} v${rule.version}, it fails the schema: ${listed.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, {
        issues: listed,
      });
    }
    if (result.issues === undefined) data = result.value;
  }
  return currentEnvelope(envelope, rule.type, data, rule.version, erased);
}
