import { AssertionError } from 'node:assert/strict';
import type { AnyAggregateDefinition } from '../aggregate/defineAggregate.js';
import { formatIssues, validateSchema } from '../aggregate/validateSchema.js';
import type { EventEnvelope } from '../eventLog/eventLog.js';
import { createEventCatalog } from '../evolution/eventCatalog.js';
import { readEvent } from '../evolution/readEvent.js';

/**
 * A past event as older code wrote it, for a history of {@link given}: `schemaVersion` names the
 * version its `data` has, and `type` may be a former name. It is upcast as the runtime upcasts
 * stored events.
 *
 * @example
 * ```ts
 * const moved: OlderGivenEvent = { type: 'UserAddressUpdated', data: { address: '1 Main St, 10115, Berlin, DE' }, schemaVersion: 1 };
 * ```
 */
export type OlderGivenEvent = { readonly type: string; readonly data: unknown; readonly schemaVersion: number; readonly timestamp?: number };

type HistoryEvent = { readonly type: string; readonly data: unknown; readonly schemaVersion?: number; readonly timestamp?: number };

const noKeys = () => undefined;

/**
 * The envelopes of a {@link given} history, read as the runtime reads the log: an event of an
 * older schema version (or under a former name) goes through the aggregate's upcasters, then
 * every event is validated against its current schema. An event without `schemaVersion` is at
 * its type's current version; under a former name, at version 1 (as in the log). Throws an
 * `AssertionError` naming the event for an unknown type, a failing upcaster or a schema issue.
 *
 * @example
 * ```ts
 * const envelopes = await historyEnvelopes(Customer, 'c-1', [{ type: 'UserAddressUpdated', data: { address: '1 Main St, 10115, Berlin, DE' }, schemaVersion: 1 }]);
 * ```
 */
export async function historyEnvelopes(aggregate: AnyAggregateDefinition, id: string, events: readonly HistoryEvent[]): Promise<EventEnvelope[]> {
  const catalog = createEventCatalog([aggregate]);
  const envelopes: EventEnvelope[] = [];
  for (const [i, e] of events.entries()) {
    const rule = catalog.rule(aggregate.name, e.type);
    const known = rule !== undefined || Object.hasOwn(aggregate.events, e.type);
    if (!known) throw new AssertionError({ message: `given event ${i} has type ${JSON.stringify(e.type)}, which ${aggregate.name} does not have` });
    const current = rule?.version ?? 1;
    const schemaVersion = e.schemaVersion ?? (rule === undefined || rule.type === e.type ? current : 1);
    if (rule === undefined && schemaVersion !== 1) {
      throw new AssertionError({ message: `given event ${i} (${e.type}) is at version ${schemaVersion}, but ${aggregate.name} knows ${e.type} only at version 1` });
    }
    const version = i + 1;
    const stored: EventEnvelope = {
      type: e.type,
      data: e.data,
      ...(schemaVersion !== 1 && { schemaVersion }),
      eventId: `given-${version}/0`,
      aggregate: aggregate.name,
      id,
      version,
      position: version,
      timestamp: e.timestamp ?? 0,
      commandId: `given-${version}`,
      correlationId: `given-${version}`,
      causationId: `given-${version}`,
    };
    let read: EventEnvelope;
    try {
      read = readEvent(catalog, stored, noKeys);
    } catch (err) {
      throw new AssertionError({ message: `given event ${i} (${e.type} v${schemaVersion}) cannot be read as a current event: ${(err as Error).message}` });
    }
    const outcome = await validateSchema(aggregate.events[read.type]!, read.data);
    if (!outcome.ok) throw new AssertionError({ message: `given event ${i} (${read.type}) is invalid: ${formatIssues(outcome.issues)}` });
    envelopes.push({ ...read, data: outcome.value });
  }
  return envelopes;
}
