/**
 * True for nats-server versions whose clustered streams check `Nats-Expected-Last-Subject-Sequence`
 * N > 0 only on the leader before the Raft proposal, so two racing publishes can both pass it
 * (nats-server#4320, fixed in 2.9.21 and 2.10: "Serializing competing key-value updates").
 * Unparseable versions count as affected.
 *
 * @example
 * ```ts
 * serializesSubjectSequence('2.9.10'); // false
 * serializesSubjectSequence('2.10.4'); // true
 * ```
 */
export function serializesSubjectSequence(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major !== 2) return major > 2;
  return minor > 9 || (minor === 9 && patch >= 21);
}

/**
 * The start-up warning for a replicated stream on an affected server, or `undefined` when there
 * is nothing to say. The log itself does not rest on the affected check (see `versionSubject`),
 * but anything else on that cluster that does (JetStream KV `update` with a revision, i.e.
 * compare-and-set, on a replicated bucket) can lose updates.
 *
 * @example
 * ```ts
 * const warning = replicatedStreamWarning('2.9.10', 3);
 * if (warning) logger.warn({ serverVersion: '2.9.10' }, warning);
 * ```
 */
export function replicatedStreamWarning(version: string, replicas: number): string | undefined {
  if (replicas <= 1 || serializesSubjectSequence(version)) return undefined;
  return (
    `nats-server ${version} does not serialise Nats-Expected-Last-Subject-Sequence on replicated streams ` +
    '(nats-server#4320, fixed in 2.9.21): Tributary does not rely on it, but KV compare-and-set ' +
    '(update with a revision) on replicated buckets of this cluster can lose updates. Upgrade to 2.9.21 or later.'
  );
}
