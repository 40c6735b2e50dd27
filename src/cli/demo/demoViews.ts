import { filter, take, type Subscription } from 'rxjs';
import { exampleProjections, OrderSummary, type OrderSummaryValue } from '../../../projections/index.js';
import type { EventLog } from '../../eventLog/eventLog.js';
import type { Logger } from '../../logging/logger.js';
import type { Observer } from '../../observability/observer.js';
import { createProjections, type Projections } from '../../projection/createProjections.js';
import type { ViewChange } from '../../projection/projection.js';
import { cents, count, fit } from './textFormat.js';

/**
 * The example projections of a demo run, with a live feed of one order's OrderSummary changes.
 *
 * @example
 * ```ts
 * const views = await startDemoViews({ log: app.log, path: './data/views', logger, order: 'ord-00042', onLive: console.log });
 * await views.catchUp(await app.log.headPosition());
 * await views.close();
 * ```
 */
export type DemoViews = {
  readonly projections: Projections;
  /** Resolves once every projection has processed `position`. */
  catchUp(position: number): Promise<void>;
  /** Live lines printed so far. */
  readonly liveLines: number;
  close(): Promise<void>;
};

/**
 * Options of {@link startDemoViews}.
 *
 * @example
 * ```ts
 * const options: DemoViewsOptions = { log: app.log, path: './data/views', logger, order: 'ord-00042', onLive: (l) => progress.log(l) };
 * ```
 */
export type DemoViewsOptions = {
  readonly log: EventLog;
  readonly path: string;
  readonly logger: Logger;
  /** The order whose OrderSummary changes are shown live; none when undefined. */
  readonly order: string | undefined;
  readonly onLive: (line: string) => void;
  /** Told of every committed batch (the app's metrics). */
  readonly observer?: Observer | undefined;
};

const MAX_LIVE_LINES = 12;
const CATCH_UP_TIMEOUT_MS = 120_000;

/**
 * Formats one OrderSummary change as a line that fits 80 columns.
 *
 * @example
 * ```ts
 * liveLine(change); // '  @  1,204  shipped    3 items     87.40  ada.lovelace12.1@mail.example.net'
 * ```
 */
export function liveLine(change: ViewChange<OrderSummaryValue>): string {
  const v = change.value;
  const at = `@${count(change.position).padStart(7)}`;
  if (v === null || v.kind !== 'order') return `  ${at}  (deleted)`;
  const head = `  ${at}  ${v.status.padEnd(9)}${`${v.itemCount} items`.padStart(9)}${cents(v.total).padStart(10)}  `;
  return head + fit(v.customerEmail ?? '', 80 - head.length);
}

/**
 * Opens the five example projections on the log (views in their own LMDB environment at `path`),
 * starts them and, for the featured order, turns each OrderSummary change into a live line: what
 * a subscriber to `changes$` sees while the commands run.
 *
 * @example
 * ```ts
 * const views = await startDemoViews({ log: app.log, path, logger, order: featured.order, onLive: progress.log });
 * ```
 */
export async function startDemoViews(options: DemoViewsOptions): Promise<DemoViews> {
  const projections = await createProjections({ log: options.log, path: options.path, projections: exampleProjections, logger: options.logger, observer: options.observer });
  let lines = 0;
  let live: Subscription | undefined;
  const { order } = options;
  if (order !== undefined) {
    live = projections
      .get(OrderSummary)
      .changes$.pipe(
        filter((c) => c.key === order),
        take(MAX_LIVE_LINES),
      )
      .subscribe((change) => {
        lines += 1;
        options.onLive(liveLine(change));
      });
  }
  projections.start();
  return {
    projections,
    get liveLines() {
      return lines;
    },
    async catchUp(position) {
      await Promise.all(projections.names.map((name) => projections.get(name).waitFor(position, { timeout: CATCH_UP_TIMEOUT_MS })));
      live?.unsubscribe();
    },
    async close() {
      live?.unsubscribe();
      await projections.close();
    },
  };
}
