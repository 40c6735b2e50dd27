import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { budgetRows, type BudgetEntry, type Metric } from './report.js';
import { STAGES } from './stageBudget.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v: number) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 100) / 100));
const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#9c755f'];

// Throughput beside its raw baseline: the rows the chart shows.
const charted = (metrics: readonly Metric[]) => metrics.filter((m) => m.baseline !== undefined && /vs raw/.test(m.metric));

function barChart(metrics: readonly Metric[], y0: number): { svg: string; height: number } {
  const rows = charted(metrics);
  const left = 420;
  const width = 420;
  const rowHeight = 46;
  let svg = `<text x="10" y="${y0 + 16}" font-size="15" font-weight="bold">Framework against raw, same run (bars scaled to the raw baseline of each row)</text>`;
  rows.forEach((m, i) => {
    const y = y0 + 30 + i * rowHeight;
    const max = Math.max(m.value, m.baseline!);
    const w = (v: number) => Math.max(1, (v / max) * width);
    svg += `<text x="10" y="${y + 14}" font-size="12">${esc(`${m.suite}: ${m.metric}`)}</text>`;
    svg += `<rect x="${left}" y="${y}" width="${w(m.baseline!)}" height="16" fill="#bab0ac"/>`;
    svg += `<text x="${left + w(m.baseline!) + 4}" y="${y + 12}" font-size="11">raw ${num(m.baseline!)} ${esc(m.unit)}</text>`;
    svg += `<rect x="${left}" y="${y + 18}" width="${w(m.value)}" height="16" fill="#4e79a7"/>`;
    svg += `<text x="${left + w(m.value) + 4}" y="${y + 30}" font-size="11">Tributary ${num(m.value)} (${m.ratio ?? ''}x)</text>`;
  });
  return { svg, height: 40 + rows.length * rowHeight };
}

function budgetChart(budgets: readonly BudgetEntry[], y0: number): { svg: string; height: number } {
  if (budgets.length === 0) return { svg: '', height: 0 };
  const left = 420;
  const scale = 420 / Math.max(...budgets.map((b) => b.budget.total));
  let svg = `<text x="10" y="${y0 + 16}" font-size="15" font-weight="bold">CPU budget per command, main thread (µs), by stage</text>`;
  budgets.forEach((b, i) => {
    const y = y0 + 30 + i * 30;
    svg += `<text x="10" y="${y + 13}" font-size="12">${esc(`${b.suite}: ${b.run}`)}</text>`;
    let x = left;
    [...STAGES, 'other' as const].forEach((stage, k) => {
      const us = stage === 'other' ? b.budget.other : b.budget.stages[stage];
      const w = Math.max(0, us * scale);
      svg += `<rect x="${x}" y="${y}" width="${w}" height="18" fill="${COLORS[k]}"><title>${stage}: ${num(us)} µs</title></rect>`;
      x += w;
    });
    svg += `<text x="${x + 4}" y="${y + 13}" font-size="11">${num(b.budget.total)} µs</text>`;
  });
  const ly = y0 + 36 + budgets.length * 30;
  [...STAGES, 'other'].forEach((stage, k) => {
    svg += `<rect x="${left + k * 62}" y="${ly}" width="10" height="10" fill="${COLORS[k]}"/><text x="${left + k * 62 + 13}" y="${ly + 9}" font-size="10">${stage}</text>`;
  });
  return { svg, height: 60 + budgets.length * 30 };
}

function conditions(): string {
  const [l1, l5] = loadavg();
  return `${new Date().toISOString()} · Node ${process.version} · ${cpus().length} cores · load average ${l1!.toFixed(2)} (1 min), ${l5!.toFixed(2)} (5 min)`;
}

function svgOf(metrics: readonly Metric[], budgets: readonly BudgetEntry[]): string {
  const bars = barChart(metrics, 30);
  const stack = budgetChart(budgets, 40 + bars.height);
  const height = 50 + bars.height + stack.height;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1100" height="${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/><text x="10" y="18" font-size="11" fill="#555">${esc(conditions())}</text>` +
    `${bars.svg}${stack.svg}</svg>\n`;
}

function budgetTable(budgets: readonly BudgetEntry[]): string {
  if (budgets.length === 0) return '';
  const head = `<tr><th>stage</th>${budgets.map((b) => `<th>${esc(`${b.suite}: ${b.run}`)}</th>`).join('')}</tr>`;
  const rows = budgetRows(budgets[0]!.budget).map(([stage], r) =>
    `<tr><td>${esc(stage === 'bytes allocated' ? 'bytes allocated / cmd' : `${stage} µs / cmd`)}</td>${budgets.map((b) => `<td>${num(budgetRows(b.budget)[r]![1])}</td>`).join('')}</tr>`,
  );
  return `<h2>CPU budget per command</h2><table>${head}${rows.join('')}</table>`;
}

function metricTable(metrics: readonly Metric[]): string {
  const rows = metrics.map(
    (m) => `<tr><td>${esc(m.suite)}</td><td>${esc(m.metric)}</td><td>${num(m.value)}</td><td>${esc(m.unit)}</td><td>${m.baseline === undefined ? '' : num(m.baseline)}</td><td>${m.ratio ?? ''}</td><td>${m.ok ? 'yes' : 'NO'}</td></tr>`,
  );
  return `<h2>All figures</h2><table><tr><th>suite</th><th>metric</th><th>value</th><th>unit</th><th>baseline</th><th>ratio</th><th>verified</th></tr>${rows.join('')}</table>`;
}

/**
 * Writes the bench report: an SVG chart (framework against raw per suite, and the CPU budget per
 * stage) when `path` ends in `.svg`; otherwise an HTML page with the chart, the budget table and
 * every figure, and the same chart beside it as `<name>.svg` (for the README to show).
 *
 * @example
 * ```ts
 * writeReport('bench/report.html', report.metrics, report.budgets);
 * ```
 */
export function writeReport(path: string, metrics: readonly Metric[], budgets: readonly BudgetEntry[]): void {
  const svg = svgOf(metrics, budgets);
  if (path.endsWith('.svg')) {
    writeFileSync(path, svg);
    return;
  }
  writeFileSync(path.replace(/\.[^./]*$/, '') + '.svg', svg);
  const style = 'body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,td:nth-child(2){text-align:left}';
  writeFileSync(
    path,
    `<!doctype html><html><head><meta charset="utf-8"><title>Tributary bench</title><style>${style}</style></head><body>` +
      `<h1>Tributary bench</h1><p>${esc(conditions())}</p>${svg}${budgetTable(budgets)}${metricTable(metrics)}</body></html>\n`,
  );
}
