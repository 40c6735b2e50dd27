import { InternalError } from '../errors.js';
import type { DomainEvent } from '../eventLog/eventLog.js';
import type { EventCatalog } from './eventCatalog.js';
import { sealContext } from './readEvent.js';
import { sealValues, type SubjectKey } from './sealFields.js';

/**
 * The data subject of an event about to be written, when its type has personal fields.
 * Throws `InternalError` when the subject is not a non-empty string: the command emitted an
 * event whose personal data belongs to nobody, which must not be written in the clear.
 *
 * @example
 * ```ts
 * const subject = subjectOf(catalog, 'Customer', 'c-1', event); // 'c-1'
 * ```
 */
export function subjectOf(catalog: EventCatalog, aggregate: string, id: string, event: DomainEvent): string | undefined {
  const personal = catalog.rule(aggregate, event.type)?.personal;
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

/**
 * THE write path of events: turns an event a command emitted into its stored form. It stamps the
 * current schema version (left out at version 1, which is what an absent version means) and
 * takes the personal fields out of `data`, sealed with the subject's key (`key` is required
 * exactly when {@link subjectOf} gives a subject).
 *
 * @example
 * ```ts
 * const stored = writeEvent(catalog, 'Customer', 'c-1', 'cmd-1/0', event, key);
 * ```
 */
export function writeEvent(
  catalog: EventCatalog,
  aggregate: string,
  id: string,
  eventId: string,
  event: DomainEvent,
  key: SubjectKey | undefined,
): DomainEvent {
  const rule = catalog.rule(aggregate, event.type);
  if (rule === undefined) return event;
  const schemaVersion = rule.version === 1 ? undefined : rule.version;
  if (rule.personal === undefined) return schemaVersion === undefined ? event : { type: event.type, data: event.data, schemaVersion };
  const subject = subjectOf(catalog, aggregate, id, event)!;
  if (key === undefined) {
    throw new InternalError(`${aggregate} ${id}: no key for the personal fields of ${event.type}; they are never written in the clear`, { aggregate, id, event: event.type });
  }
  const data = { ...(event.data as Record<string, unknown>) };
  const values: Record<string, unknown> = {};
  const fields: string[] = [];
  for (const f of rule.personal.fields) {
    if (!Object.hasOwn(data, f)) continue;
    values[f] = data[f];
    fields.push(f);
    delete data[f];
  }
  if (fields.length === 0) return schemaVersion === undefined ? event : { type: event.type, data: event.data, schemaVersion };
  const sealed = { subject, keyId: key.id, fields, box: sealValues(key, sealContext(aggregate, id, eventId), values) };
  return schemaVersion === undefined ? { type: event.type, data, sealed } : { type: event.type, data, schemaVersion, sealed };
}
