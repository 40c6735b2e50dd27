/**
 * A property that passes because its histories never reach the interesting cases proves little.
 * Each property tallies the outcomes its histories produced and, on a full-size run, checks that
 * they include acceptances, re-sends, conflicts, invalid and unknown commands and a spread of
 * domain rejections.
 */
export type Coverage = {
  add(stats: ReadonlyMap<string, number>): void;
  /** Throws unless the tally shows the variety a meaningful run needs (skipped when FC_NUM_RUNS is set). */
  check(runs: number): void;
};

const REQUIRED = ['accepted', 'duplicate', 'conflict', 'invalid', 'unknown_command', 'rejected:NotAccepted'];

export function createCoverage(): Coverage {
  const total = new Map<string, number>();
  return {
    add(stats) {
      for (const [k, v] of stats) total.set(k, (total.get(k) ?? 0) + v);
    },
    check(runs) {
      if (process.env.FC_NUM_RUNS !== undefined) return;
      const summary = [...total].map(([k, v]) => `${k}: ${v}`).join(', ');
      const missing = REQUIRED.filter((k) => (total.get(k) ?? 0) === 0);
      if (missing.length > 0) throw new Error(`the histories never produced ${missing.join(', ')} (${summary})`);
      const reasons = [...total.keys()].filter((k) => k.startsWith('rejected:') && k !== 'rejected:NotAccepted');
      if (reasons.length < 5) throw new Error(`the histories produced only ${reasons.length} kinds of domain rejection (${summary})`);
      if ((total.get('accepted') ?? 0) < 3 * runs) throw new Error(`too few accepted commands for ${runs} histories (${summary})`);
    },
  };
}
