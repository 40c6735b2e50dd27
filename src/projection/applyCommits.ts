import { ProjectionFailedError } from '../errors.js';
import type { Commit, EventEnvelope } from '../eventLog/eventLog.js';
import type { ProjectionDefinition } from './defineProjection.js';
import type { ViewOverlay } from './viewOverlay.js';

/**
 * A handler threw: the projection stops at this event (a poison event).
 *
 * @example
 * ```ts
 * const failure = applyCommits(definition, overlay, batch, skips);
 * if (failure) throw poisonError(definition.name, failure);
 * ```
 */
export type HandlerFailure = {
  readonly position: number;
  /** Index of the event in its commit. */
  readonly index: number;
  readonly envelope: EventEnvelope;
  readonly error: unknown;
};

/**
 * Skipped events, as `<position>/<index>`.
 *
 * @example
 * ```ts
 * const skips: SkipSet = new Set(['17/0']);
 * ```
 */
export type SkipSet = ReadonlySet<string>;

/** @example `skips.add(skipId(17, 0))` */
export const skipId = (position: number, index: number): string => `${position}/${index}`;

/**
 * Applies the events of `commits` that the projection consumes to `overlay`, in order, leaving
 * out skipped ones. Stops at the first handler that throws and returns it; the overlay then
 * holds a partial batch and must be discarded.
 *
 * @example
 * ```ts
 * const failure = applyCommits(definition, overlay, batch, skips);
 * ```
 */
export function applyCommits(
  definition: ProjectionDefinition,
  overlay: ViewOverlay,
  commits: readonly Commit[],
  skips: SkipSet,
): HandlerFailure | undefined {
  const { handlers } = definition;
  for (const commit of commits) {
    overlay.position = commit.position;
    const events = commit.events;
    for (let index = 0; index < events.length; index++) {
      const envelope = events[index]!;
      if (!definition.consumes(envelope.aggregate, envelope.type)) continue;
      if (skips.size > 0 && skips.has(skipId(commit.position, index))) continue;
      try {
        // The envelope is the event too (it extends it): no allocation per event.
        handlers.get(envelope.type)!(overlay.view, envelope, envelope);
      } catch (error) {
        return { position: commit.position, index, envelope, error };
      }
    }
  }
  return undefined;
}

/**
 * The error a poison event stops its projection with: it names the projection, the event type,
 * the aggregate and id, and the position, and keeps the handler's error as `cause`.
 *
 * @example
 * ```ts
 * // projection OrderSummary failed on OrderShipped (Order/o-1) at position 17: no such order
 * throw poisonError('OrderSummary', failure);
 * ```
 */
export function poisonError(projection: string, failure: HandlerFailure): ProjectionFailedError {
  const { envelope, position, index } = failure;
  const cause = failure.error instanceof Error ? failure.error.message : String(failure.error);
  return new ProjectionFailedError(
    `projection ${projection} failed on ${envelope.type} (${envelope.aggregate}/${envelope.id}) at position ${position}: ${cause}`,
    {
      projection,
      type: envelope.type,
      aggregate: envelope.aggregate,
      id: envelope.id,
      position,
      index,
      eventId: envelope.eventId,
      version: envelope.version,
      cause,
    },
    { cause: failure.error },
  );
}
