import type { EventLog } from '../eventLog/eventLog.js';
import type { ProjectionStatus } from '../projection/projection.js';

/**
 * A projection's status plus its lag in seconds: how old the oldest commit it has not applied is
 * (0 when caught up). Measured against that commit's timestamp, not against the head's, so a
 * projection that is stuck while the head stands still still shows growing lag.
 *
 * @example
 * ```ts
 * const [first] = await sampler.sample();
 * console.log(first.name, first.lag, first.lagSeconds.toFixed(1));
 * ```
 */
export type ProjectionSample = ProjectionStatus & { readonly lagSeconds: number };

/**
 * Reads projection statuses for metrics, readiness and the dashboard, sharing one reading between
 * callers that ask within `maxAgeMs` (a scrape reads every gauge at once).
 *
 * @example
 * ```ts
 * const sampler = createProjectionSampler({ statuses: () => app.projections.statuses(), log: app.log });
 * const samples = await sampler.sample();
 * ```
 */
export type ProjectionSampler = { sample(): Promise<readonly ProjectionSample[]> };

/**
 * Options of {@link createProjectionSampler}.
 *
 * @example
 * ```ts
 * const options: ProjectionSamplerOptions = { statuses: () => projections.statuses(), log, maxAgeMs: 250 };
 * ```
 */
export type ProjectionSamplerOptions = {
  readonly statuses: () => Promise<ProjectionStatus[]>;
  readonly log: EventLog;
  /** Default 200 ms. */
  readonly maxAgeMs?: number;
  /**
   * A reading that takes longer (the log's server unreachable) answers with the previous one, so
   * that a probe never hangs. Default 1000 ms.
   */
  readonly timeoutMs?: number;
  readonly now?: () => number;
};

async function timestampAt(log: EventLog, position: number): Promise<number | undefined> {
  for await (const batch of log.readBatches({ fromPosition: position, live: false, maxBatch: 1 })) {
    return batch[0]?.timestamp;
  }
  return undefined;
}

/**
 * Creates a sampler. The oldest unprojected commit is read from the log once per position a
 * projection stands at (cached), so a stuck projection costs one read, not one per scrape.
 *
 * @example
 * ```ts
 * const sampler = createProjectionSampler({ statuses: () => app.projections.statuses(), log: app.log });
 * ```
 */
export function createProjectionSampler(options: ProjectionSamplerOptions): ProjectionSampler {
  const { statuses, log, maxAgeMs = 200, timeoutMs = 1000, now = Date.now } = options;
  const oldest = new Map<string, { position: number; timestamp: number }>();
  let last: { at: number; samples: Promise<readonly ProjectionSample[]> } | undefined;
  let previous: readonly ProjectionSample[] = [];

  const lagSeconds = async (status: ProjectionStatus): Promise<number> => {
    if (status.lag <= 0) {
      oldest.delete(status.name);
      return 0;
    }
    const next = status.position + 1;
    let known = oldest.get(status.name);
    if (known?.position !== next) {
      const timestamp = await timestampAt(log, next).catch(() => undefined);
      if (timestamp === undefined) return 0;
      known = { position: next, timestamp };
      oldest.set(status.name, known);
    }
    return Math.max(0, (now() - known.timestamp) / 1000);
  };

  const read = async (): Promise<readonly ProjectionSample[]> => {
    const list = await statuses();
    previous = await Promise.all(list.map(async (s) => ({ ...s, lagSeconds: await lagSeconds(s) })));
    return previous;
  };

  const bounded = (): Promise<readonly ProjectionSample[]> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<readonly ProjectionSample[]>((resolve) => {
      timer = setTimeout(() => resolve(previous), timeoutMs);
      timer.unref();
    });
    return Promise.race([read(), late]).finally(() => clearTimeout(timer));
  };

  return {
    sample() {
      const at = now();
      if (last === undefined || at - last.at > maxAgeMs) {
        const samples = bounded();
        last = { at, samples };
        samples.catch(() => {
          if (last?.samples === samples) last = undefined;
        });
      }
      return last.samples;
    },
  };
}
