import type { NatsConnection } from '@nats-io/transport-node';
import { encode } from '../codec/msgpack.js';
import type { Logger } from '../logging/logger.js';
import type { ViewChange } from '../projection/projection.js';
import { viewChangeSubject } from './viewSubjects.js';

/**
 * Options of {@link createViewPublisher}.
 *
 * @example
 * ```ts
 * const options: ViewPublisherOptions = { nc: log.connection, prefix: 'tributary', logger };
 * ```
 */
export type ViewPublisherOptions = {
  /** The connection to publish on; the publisher never closes it. */
  readonly nc: NatsConnection;
  /** Subject prefix: changes go to `<prefix>.view.<projection>.<key>`. */
  readonly prefix: string;
  readonly logger: Logger;
};

/**
 * The `publish` sink of `createProjections` for the NATS engine: publishes every committed change
 * on `<prefix>.view.<projection>.<key token>` (see `encodeViewKey`), body the msgpack of
 * `{ projection, key, value, position }` (`value: null` for a deletion; `key` is the real key).
 * Core NATS, at most once: a subscriber that must not miss a change resumes through a read node
 * (`createViewClient(...).watch(projection, key, { fromPosition })`). A change that cannot be
 * published (for example a value over the server's `max_payload`, or a closed connection) is
 * logged and the others still go out.
 *
 * @example
 * ```ts
 * const projections = await createProjections({ log, path, projections: [AccountBalance], publish: createViewPublisher({ nc, prefix: 'tributary', logger }) });
 * ```
 */
export function createViewPublisher(options: ViewPublisherOptions): (changes: readonly ViewChange[]) => void {
  const { nc, prefix, logger } = options;
  return (changes) => {
    for (const change of changes) {
      try {
        nc.publish(viewChangeSubject(prefix, change.projection, change.key), encode(change));
      } catch (err) {
        logger.error({ err, projection: change.projection, key: change.key, position: change.position }, 'cannot publish a view change');
      }
    }
  };
}
