import type { Logger } from '../logging/logger.js';
import type { ProjectionDefinition } from './defineProjection.js';
import type { ProjectionRunner } from './projectionRunner.js';
import { checkpointKey, versionKey, type ViewEnvironment } from './viewEnvironment.js';

/**
 * The blue/green rebuilds of projections whose handlers changed version.
 *
 * @example
 * ```ts
 * const upgrades = startUpgrades({ env, definitions, runners, logger, closed: () => false });
 * await upgrades.done;
 * ```
 */
export type Upgrades = {
  /** Names of the projections being rebuilt; they start once their new view is swapped in. */
  readonly pending: ReadonlySet<string>;
  readonly done: Promise<void>;
};

/**
 * Compares each projection's `version` with the one its view was built with (absent: 1; a view
 * never built takes the current version at once), and rebuilds the changed ones. While one
 * rebuilds, its live runner stays stopped: readers keep the old view as the old handlers left it
 * (not a mix of old and new handlers), and `waitFor` past it waits for the swap. The version is
 * recorded after the swap, so a crash in between only means rebuilding again.
 *
 * @example
 * ```ts
 * const upgrades = startUpgrades({ env, definitions: [OrderSummary], runners, logger, closed: () => closing });
 * ```
 */
export function startUpgrades(options: {
  readonly env: ViewEnvironment;
  readonly definitions: readonly ProjectionDefinition[];
  readonly runners: ReadonlyMap<string, ProjectionRunner>;
  readonly logger: Logger;
  readonly closed: () => boolean;
}): Upgrades {
  const { env, runners, logger } = options;
  const stale: ProjectionDefinition[] = [];
  const fresh: ProjectionDefinition[] = [];
  for (const d of options.definitions) {
    const built = env.meta.get(versionKey(d.name)) as number | undefined;
    if (built === d.version) continue;
    if (built === undefined && env.meta.get(checkpointKey(d.name)) === undefined) fresh.push(d);
    else if ((built ?? 1) !== d.version) stale.push(d);
  }
  const record = (d: ProjectionDefinition) => env.write(() => env.meta.putSync(versionKey(d.name), d.version));
  // At once, in this call: a write left in flight would hold up closing the views.
  for (const d of fresh) env.meta.putSync(versionKey(d.name), d.version);
  const done = (async () => {
    await Promise.all(
      stale.map(async (d) => {
        const r = runners.get(d.name)!;
        try {
          logger.info({ projection: d.name, version: d.version }, 'the projection changed version: rebuilding it into a fresh view');
          await r.projection.rebuild();
          await record(d);
        } catch (err) {
          logger.error({ projection: d.name, version: d.version, err }, 'rebuilding the projection for its new version failed; it runs on the old view');
        } finally {
          if (!options.closed()) r.start();
        }
      }),
    );
  })();
  return { pending: new Set(stale.map((d) => d.name)), done };
}
