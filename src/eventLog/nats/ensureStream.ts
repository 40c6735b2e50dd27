import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { ConfigError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { natsFailure } from './natsFailure.js';

/**
 * The stream settings Tributary relies on. Durations are milliseconds; 0 means unlimited.
 *
 * @example
 * ```ts
 * await ensureStream(jsm, { name: 'TRIBUTARY', subjects: ['tributary.evt.>'], storage: 'file', replicas: 1,
 *   maxAge: 0, duplicateWindow: 120_000, maxMsgsPerSubject: -1 }, logger);
 * ```
 */
export type StreamSpec = {
  readonly name: string;
  readonly subjects: readonly string[];
  /** Subjects of `subjects` that an existing stream may lack: they are added to it (that loses nothing). */
  readonly addableSubjects?: readonly string[];
  readonly storage: 'file' | 'memory';
  readonly replicas: number;
  readonly maxAge: number;
  readonly duplicateWindow: number;
  /** -1 for the event log (never drop an event); 1 for the snapshot stream. */
  readonly maxMsgsPerSubject: number;
};

const STREAM_NOT_FOUND = 10059;

type Expected = Pick<
  StreamConfig,
  | 'subjects'
  | 'retention'
  | 'storage'
  | 'num_replicas'
  | 'max_age'
  | 'duplicate_window'
  | 'allow_direct'
  | 'max_msgs_per_subject'
  | 'max_msgs'
  | 'max_bytes'
  | 'discard'
>;

function expectedConfig(spec: StreamSpec): Expected {
  return {
    subjects: [...spec.subjects],
    retention: RetentionPolicy.Limits,
    storage: spec.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: spec.replicas,
    max_age: nanos(spec.maxAge),
    duplicate_window: nanos(spec.duplicateWindow),
    // Direct gets are how readStream and the version lookup stay under a millisecond.
    allow_direct: true,
    max_msgs_per_subject: spec.maxMsgsPerSubject,
    // Any other limit would silently discard events.
    max_msgs: -1,
    max_bytes: -1,
    discard: DiscardPolicy.Old,
  };
}

// The settings a deployment chooses: how to match an existing stream's value instead.
const SETTING_HINTS: Partial<Record<keyof Expected, (have: unknown) => string>> = {
  num_replicas: (have) => `replicas: ${String(have)} (serve --replicas ${String(have)}, env TRIBUTARY_REPLICAS, config nats.replicas)`,
  storage: (have) => `storage: '${String(have)}' (serve --storage ${String(have)}, env TRIBUTARY_STORAGE, config nats.storage)`,
  max_age: (have) => `maxAge: ${Number(have) / 1e6} ms (serve --max-age ${Number(have) / 1e6}, env TRIBUTARY_MAX_AGE, config nats.maxAge)`,
  duplicate_window: (have) =>
    `duplicateWindow: ${Number(have) / 1e6} ms (serve --duplicate-window ${Number(have) / 1e6}, env TRIBUTARY_DUPLICATE_WINDOW, config nats.duplicateWindow)`,
};

function differences(actual: StreamConfig, expected: Expected): string[] {
  const out: string[] = [];
  for (const key of Object.keys(expected) as Array<keyof Expected>) {
    const want = expected[key];
    const have = actual[key];
    const same =
      key === 'subjects'
        ? [...(have as string[] | undefined ?? [])].sort().join('\n') === [...(want as string[])].sort().join('\n')
        : have === want;
    if (same) continue;
    const hint = SETTING_HINTS[key];
    out.push(`${key} is ${JSON.stringify(have)}, expected ${JSON.stringify(want)}${hint ? `: to use the stream as it is, set ${hint(have)}` : ''}`);
  }
  return out;
}

/**
 * Creates the stream if it does not exist, or checks that the existing one has the settings asked
 * for. A stream that exists with different settings is a {@link ConfigError} listing every
 * difference: it is never changed silently, because another deployment may rely on it.
 *
 * @example
 * ```ts
 * const info = await ensureStream(jsm, spec, logger); // throws ConfigError on a conflict
 * ```
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, logger: Logger): Promise<StreamInfo> {
  const expected = expectedConfig(spec);
  let info: StreamInfo | undefined;
  try {
    info = await jsm.streams.info(spec.name);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND)) {
      throw natsFailure(err, `checking JetStream stream ${spec.name}`);
    }
  }
  if (info) {
    const missing = (spec.addableSubjects ?? []).filter((s) => !info!.config.subjects?.includes(s));
    if (missing.length > 0 && differences({ ...info.config, subjects: [...(info.config.subjects ?? []), ...missing] }, expected).length === 0) {
      info = await addSubjects(jsm, info, missing);
      logger.info({ subjects: missing }, `added subjects to JetStream stream ${spec.name}`);
    }
    const diff = differences(info.config, expected);
    if (diff.length > 0) {
      throw new ConfigError(
        `JetStream stream ${spec.name} exists with a conflicting configuration: ${diff.join('; ')}. ` +
          'Tributary does not change an existing stream: fix the options or the stream (nats stream edit).',
        { stream: spec.name, differences: diff },
      );
    }
    return info;
  }
  try {
    const created = await jsm.streams.add({ name: spec.name, ...expected });
    logger.info({ subjects: spec.subjects }, `created JetStream stream ${spec.name}`);
    return created;
  } catch (err) {
    if (err instanceof JetStreamApiError) {
      // e.g. subjects overlapping another stream, replicas above the cluster size, bad durations.
      throw new ConfigError(`cannot create JetStream stream ${spec.name}: ${err.message}`, { stream: spec.name }, {
        cause: err,
      });
    }
    throw natsFailure(err, `creating JetStream stream ${spec.name}`);
  }
}

async function addSubjects(jsm: JetStreamManager, info: StreamInfo, subjects: readonly string[]): Promise<StreamInfo> {
  try {
    return await jsm.streams.update(info.config.name, { subjects: [...(info.config.subjects ?? []), ...subjects] });
  } catch (err) {
    throw natsFailure(err, `adding subjects ${subjects.join(', ')} to JetStream stream ${info.config.name}`);
  }
}
