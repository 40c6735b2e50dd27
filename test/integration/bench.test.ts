import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SUITES = ['embedded', 'nats', 'projections'];

type Line = { suite: string; metric: string; value: number; unit: string; baseline?: number; ratio?: number; ok: boolean };

describe('bench --quick --json', () => {
  it('runs every suite, prints one verified metric per line in the DESIGN.md form', { timeout: 300_000 }, async () => {
    const env = { ...process.env };
    delete env.LOG_LEVEL;
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...SUITES, '--quick', '--json'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, stderr).toBe(0);

    const lines = stdout.trim().split('\n');
    const metrics = lines.map((l) => JSON.parse(l) as Line);
    for (const m of metrics) {
      expect(Object.keys(m).every((k) => ['suite', 'metric', 'value', 'unit', 'baseline', 'ratio', 'ok'].includes(k))).toBe(true);
      expect(typeof m.metric).toBe('string');
      expect(typeof m.unit).toBe('string');
      expect(Number.isFinite(m.value)).toBe(true);
      expect(m.ok, `${m.suite}/${m.metric}`).toBe(true);
      // A zero baseline (no GC at all in the raw run, say) has no ratio rather than Infinity.
      if (m.baseline !== undefined && m.baseline > 0) expect(m.ratio).toBeCloseTo(m.value / m.baseline, 2);
      if (m.baseline === 0) expect(m.ratio, `${m.suite}/${m.metric}`).toBeUndefined();
    }
    expect([...new Set(metrics.map((m) => m.suite))].sort()).toEqual([...SUITES].sort());
    // Each suite compares with its raw baseline in the same run.
    for (const suite of SUITES) {
      expect(metrics.some((m) => m.suite === suite && m.metric.includes('vs raw') && m.baseline! > 0 && m.value > 0), suite).toBe(true);
    }
  });
});
