import { STAGES, type Budget } from './stageBudget.js';

/**
 * One measured figure, in DESIGN.md's bench line format. `ok` is true when the run's outcome was
 * verified against a reference model.
 *
 * @example
 * ```ts
 * report.add({ suite: 'embedded', metric: 'commands/s', value: 81234, unit: 'cmd/s', baseline: 150000, ok: true });
 * ```
 */
export type Metric = {
  suite: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  ok: boolean;
};

/** A CPU budget of one run, per stage (see `stageBudget.ts`), for the budget table. */
export type BudgetEntry = { readonly suite: string; readonly run: string; readonly budget: Budget };

/** Collects metrics and budgets and prints them as tables or as JSON lines. */
export type Report = {
  add(metric: Omit<Metric, 'ratio'> & { ratio?: number }): void;
  /** Adds a run's budget; in JSON mode each stage is also a metric line (`µs/cmd`, `B/cmd`). */
  addBudget(entry: BudgetEntry): void;
  readonly metrics: readonly Metric[];
  readonly budgets: readonly BudgetEntry[];
};

/**
 * Creates a report. With `json`, every metric is printed at once as one JSON object per line (for
 * scripts); otherwise metrics are kept for {@link printTable}.
 *
 * @example
 * ```ts
 * const report = createReport({ json: process.argv.includes('--json') });
 * ```
 */
export function createReport(options: { json: boolean }): Report {
  const metrics: Metric[] = [];
  const budgets: BudgetEntry[] = [];
  const emit = (metric: Metric) => {
    if (options.json) process.stdout.write(`${JSON.stringify(metric)}\n`);
  };
  return {
    metrics,
    budgets,
    add(m) {
      const ratio = m.ratio ?? (m.baseline ? round(m.value / m.baseline, 3) : undefined);
      const metric: Metric = { ...m, value: round(m.value, 3), ...(ratio !== undefined ? { ratio } : {}) };
      metrics.push(metric);
      emit(metric);
    },
    addBudget(entry) {
      budgets.push(entry);
      const { suite, run, budget } = entry;
      for (const [stage, us] of budgetRows(budget)) {
        emit({ suite, metric: `budget ${run}: ${stage}`, value: round(us, 3), unit: stage === 'bytes allocated' ? 'B/cmd' : 'µs/cmd', ok: true });
      }
    },
  };
}

/**
 * A budget's rows in table order: each stage, other, total, of which GC, process CPU (µs per command), bytes allocated.
 *
 * @example
 * ```ts
 * for (const [stage, value] of budgetRows(budget)) console.log(stage, value);
 * ```
 */
export function budgetRows(budget: Budget): Array<[string, number]> {
  return [...STAGES.map((s): [string, number] => [s, budget.stages[s]]), ['other', budget.other], ['total', budget.total], ['of which GC', budget.gc], ['process CPU, all threads', budget.cpu], ['bytes allocated', budget.bytes]];
}

/**
 * Prints the budgets side by side: one column per run, one row per stage.
 *
 * @example
 * ```ts
 * printBudgets(report.budgets);
 * ```
 */
export function printBudgets(budgets: readonly BudgetEntry[]): void {
  if (budgets.length === 0) return;
  const rows = budgetRows(budgets[0]!.budget).map(([stage], r) => [
    stage === 'bytes allocated' ? 'bytes allocated / cmd' : `${stage} µs / cmd`,
    ...budgets.map((b) => fmt(round(budgetRows(b.budget)[r]![1], 2))),
  ]);
  const header = ['stage', ...budgets.map((b) => `${b.suite}: ${b.run}`)];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  console.log('');
  for (const [i, r] of all.entries()) {
    console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return String(round(v, 3));
}

/**
 * Prints metrics as an aligned table.
 *
 * @example
 * ```ts
 * printTable(report.metrics);
 * ```
 */
export function printTable(metrics: readonly Metric[]): void {
  const rows = [
    ['suite', 'metric', 'value', 'unit', 'baseline', 'ratio', 'verified'],
    ...metrics.map((m) => [m.suite, m.metric, fmt(m.value), m.unit, fmt(m.baseline), fmt(m.ratio), m.ok ? 'yes' : 'NO']),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => (c >= 2 && c <= 5 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/**
 * The p-th percentile (0–100) of a list of numbers, by nearest rank.
 *
 * @example
 * ```ts
 * const p99 = percentile(latenciesMs, 99);
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
