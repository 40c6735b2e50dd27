import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { expect } from 'vitest';

type Family = ReturnType<typeof parsePrometheusTextFormat>[number];

/** One scrape, parsed: sample values by family name and labels. */
export type Scraped = {
  /** The value of the sample whose labels include all of `labels`, summed over matches; 0 when none. */
  value(name: string, labels?: Record<string, string>): number;
  /** A histogram's observation count (its `_count` series), summed the same way. */
  count(name: string, labels?: Record<string, string>): number;
  /** Label sets of a family. */
  labels(name: string): Record<string, string>[];
  readonly names: string[];
};

/** GETs `<url>/metrics` and parses it with a Prometheus text-format parser. */
export async function scrape(url: string): Promise<Scraped> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status, `/metrics answered ${res.status}`).toBe(200);
  // The parser folds a histogram's samples into buckets and drops their labels; without its HELP
  // and TYPE lines each `_count`, `_sum` and `_bucket` series parses as a plain labelled sample.
  const raw = await res.text();
  const histograms = new Set([...raw.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1]));
  const text = raw
    .split('\n')
    .filter((line) => !/^# (HELP|TYPE) /.test(line) || !histograms.has(line.split(' ')[2]))
    .join('\n');
  const families = parsePrometheusTextFormat(text);
  // A series that is interrupted by another one comes back as a second family of the same name.
  const byName = new Map<string, Family['metrics']>();
  for (const f of families) byName.set(f.name, [...(byName.get(f.name) ?? []), ...f.metrics]);
  const matching = (name: string, labels: Record<string, string> = {}) =>
    (byName.get(name) ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return {
    names: [...byName.keys()],
    value: (name, labels) => matching(name, labels).reduce((sum, m) => sum + Number(m.value), 0),
    count: (name, labels) => matching(`${name}_count`, labels).reduce((sum, m) => sum + Number(m.value), 0),
    labels: (name) => (byName.get(name) ?? []).map((m) => m.labels ?? {}),
  };
}
