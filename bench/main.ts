import { parseArgs } from 'node:util';
import { writeReport } from './support/htmlReport.js';
import { createReport, printBudgets, printTable, type Report } from './support/report.js';

/** A bench suite: runs its workload and its raw baseline in the same process, adding metrics. */
export type Suite = (report: Report, options: { quick: boolean }) => Promise<void>;

const suites: Record<string, () => Promise<Suite>> = {
  embedded: async () => (await import('./suites/embedded.js')).embeddedSuite,
  nats: async () => (await import('./suites/nats.js')).natsSuite,
  projections: async () => (await import('./suites/projections.js')).projectionsSuite,
  processes: async () => (await import('./suites/processes.js')).processesSuite,
  observability: async () => (await import('./suites/observability.js')).observabilitySuite,
  scale: async () => (await import('./suites/scale.js')).scaleSuite,
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, report: { type: 'string' } },
});

const names = positionals.length > 0 ? positionals : Object.keys(suites);
for (const name of names) {
  if (!suites[name]) {
    console.error(`unknown bench suite "${name}"; known: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
}
const report = createReport({ json: values.json });
for (const name of names) {
  const suite = await suites[name]!();
  await suite(report, { quick: values.quick });
}
if (!values.json) {
  printTable(report.metrics);
  printBudgets(report.budgets);
}
if (values.report !== undefined) writeReport(values.report, report.metrics, report.budgets);
const failed = report.metrics.filter((m) => !m.ok);
if (failed.length > 0) {
  console.error(`outcome NOT verified for: ${failed.map((m) => `${m.suite}/${m.metric}`).join(', ')}`);
  process.exit(1);
}
process.exit(0);
