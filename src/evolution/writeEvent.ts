import { InternalError } from '../errors.js';
import type { DomainEvent } from '../eventLog/eventLog.js';
import type { EventRule } from './eventCatalog.js';
import { sealContext } from './readEvent.js';
import { sealValues, type SubjectKey } from './sealFields.js';

/**
 * The data subject of an event about to be written, when its type has personal fields (`rule` is
 * the catalog's rule for the event).
 * Throws `InternalError` when the subject is not a non-empty string: the command emitted an
 * event whose personal data belongs to nobody, which must not be written in the clear.
 *
 * @example
 * ```ts
 * const subject = subjectOf(catalog.rule('Customer', event.type), 'Customer', 'c-1', event); // 'c-1'
 * ```
 */
export function subjectOf(rule: EventRule | undefined, aggregate: string, id: string, event: DomainEvent): string | undefined {
  const personal = rule?.personal;
  if (personal === undefined) return undefined;
  const subject = personal.subject({ aggregate, id, data: event.data });
  if (typeof subject !== 'string' || subject === '') {
    throw new InternalError(`${aggregate} ${id}: event ${event.type} has personal fields but its subject is ${JSON.stringify(subject)}`, {
      aggregate,
      id,
      event: event.type,
    });
  }
  return subject;
}

function stamped(event: DomainEvent, schemaVersion: number | undefined): DomainEvent {
  return schemaVersion === undefined ? event : { type: event.type, data: event.data, schemaVersion };
}

/**
 * THE write path of events: turns an event a command emitted into its stored form. It stamps the
 * current schema version (left out at version 1, which is what an absent version means) and
 * takes the personal fields out of `data`, sealed with the subject's key. `rule` is the catalog's
 * rule for the event, `subject` what {@link subjectOf} gave, and `key` is required exactly when
 * there is a subject.
 *
 * @example
 * ```ts
 * const rule = catalog.rule('Customer', event.type);
 * const stored = writeEvent(rule, 'Customer', 'c-1', 'cmd-1/0', event, subjectOf(rule, 'Customer', 'c-1', event), key);
 * ```
 */
export function writeEvent(
  rule: EventRule | undefined,
  aggregate: string,
  id: string,
  eventId: string,
  event: DomainEvent,
  subject: string | undefined,
  key: SubjectKey | undefined,
): DomainEvent {
  if (rule === undefined) return event;
  const schemaVersion = rule.version === 1 ? undefined : rule.version;
  if (rule.personal === undefined || subject === undefined) return stamped(event, schemaVersion);
  if (key === undefined) {
    throw new InternalError(`${aggregate} ${id}: no key for the personal fields of ${event.type}; they are never written in the clear`, { aggregate, id, event: event.type });
  }
  const personal = rule.personal.fields;
  const source = event.data as Record<string, unknown>;
  // Built field by field rather than copied and `delete`d: a delete turns the object into a slow dictionary.
  const data: Record<string, unknown> = {};
  const values: Record<string, unknown> = {};
  const fields: string[] = [];
  for (const f of Object.keys(source)) {
    if (personal.includes(f)) {
      values[f] = source[f];
      fields.push(f);
    } else {
      data[f] = source[f];
    }
  }
  if (fields.length === 0) return stamped(event, schemaVersion);
  const sealed = { subject, keyId: key.id, fields, box: sealValues(key, sealContext(aggregate, id, eventId), values) };
  return schemaVersion === undefined ? { type: event.type, data, sealed } : { type: event.type, data, schemaVersion, sealed };
}
