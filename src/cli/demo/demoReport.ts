import type { AccountBalanceRow, OrderSummaryRow, StatusStats } from '../../../projections/index.js';
import type { AggregateState } from '../../aggregate/aggregateActor.js';
import type { ForgottenReport } from './demoForget.js';
import type { Check } from './demoVerify.js';
import type { OutcomeTally } from './outcomeTally.js';
import { cents, count, fit, percent, plural, row, seconds } from './textFormat.js';

/**
 * Everything the demo's closing summary shows. States are as `app.state` read them back, rows
 * as the projections hold them. A featured aggregate is undefined when the workload was too small
 * to create one; `views` when the run had no projections.
 *
 * @example
 * ```ts
 * process.stdout.write(formatSummary(report));
 * ```
 */
export type DemoReport = {
  readonly commands: number;
  readonly elapsedMs: number;
  readonly tally: OutcomeTally;
  /** Commits in the log (a stored rejection takes a position but is no commit). */
  readonly commits: number;
  readonly account: { readonly id: string; readonly state: AggregateState<{ owner: string; balance: number }> | undefined; readonly overdrawn: number } | undefined;
  readonly order: { readonly id: string; readonly state: AggregateState<{ items: ReadonlyArray<{ quantity: number; unitPrice: number }> }> | undefined } | undefined;
  readonly customer: { readonly id: string; readonly state: AggregateState<{ name: string | null; email: string | null }> | undefined } | undefined;
  readonly views: {
    readonly count: number;
    readonly catchUpMs: number;
    readonly order: OrderSummaryRow | undefined;
    readonly account: AccountBalanceRow | undefined;
    readonly analytics: readonly StatusStats[];
  } | undefined;
  /** The customer forgotten at the end of the run, as every reader then sees it. */
  readonly forgotten?: ForgottenReport | undefined;
  readonly checks: readonly Check[];
  /** Where the data stays, when it is kept. */
  readonly kept: string | undefined;
};

const WIDTH = 80;

const REASONS: Readonly<Record<string, string>> = {
  InsufficientFunds: 'withdrawal above the balance',
  EmptyOrder: 'ship an order with no items',
  AlreadyShipped: 'change or cancel a shipped order',
  OrderCancelled: 'change or ship a cancelled order',
  NotAccepted: 'command not accepted in that state',
  BalanceNotZero: 'close an account that holds money',
  SameEmail: 'email unchanged',
  SameAddress: 'address unchanged',
  SamePhoneNumber: 'phone number unchanged',
};

const INVALID: Readonly<Record<string, string>> = {
  invalid: 'bad payload or id (schema, subject token)',
  unknown_command: 'e.g. UpdateUser: commands are tasks',
};

const sorted = (counts: ReadonlyMap<string, number>) => [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
const total = (counts: ReadonlyMap<string, number>) => [...counts.values()].reduce((s, n) => s + n, 0);

function group(lines: string[], label: string, counts: ReadonlyMap<string, number>, all: number, note: string, glosses: Readonly<Record<string, string>>) {
  const n = total(counts);
  lines.push(`  ${row(label, count(n), 20)}${percent(n, all).padStart(8)}   ${note}`);
  for (const [key, value] of sorted(counts)) {
    const gloss = glosses[key];
    lines.push(fit(`    ${row(key, count(value))}${gloss ? `   ${gloss}` : ''}`, WIDTH));
  }
}

function writeModel(lines: string[], r: DemoReport) {
  if (!r.account && !r.order && !r.customer) return;
  lines.push('', 'Write model, read back with app.state()');
  const line = (kind: string, id: string, text: string) => lines.push(fit(`  ${kind.padEnd(9)}${id.padEnd(11)}${text}`, WIDTH));
  if (r.account) {
    const s = r.account.state;
    const refused = r.account.overdrawn > 0 ? ` · ${plural(r.account.overdrawn, 'overdraft')} refused` : '';
    line('Account', r.account.id, s ? `${String(s.value).padEnd(11)}${cents(s.context.balance)} · ${plural(s.version, 'event')}${refused}` : '(no state)');
  }
  if (r.order) {
    const s = r.order.state;
    const items = s?.context.items ?? [];
    const amount = items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);
    const quantity = items.reduce((sum, i) => sum + i.quantity, 0);
    line('Order', r.order.id, s ? `${String(s.value).padEnd(11)}${plural(items.length, 'line')}, ${plural(quantity, 'item')}, ${cents(amount)}` : '(no state)');
  }
  if (r.customer) {
    const s = r.customer.state;
    line('Customer', r.customer.id, s ? `${String(s.value).padEnd(11)}${s.context.name} <${s.context.email}>` : '(no state)');
  }
}

function readModels(lines: string[], r: DemoReport) {
  const v = r.views;
  if (!v) return;
  lines.push('', `Read models (${v.count} projections, caught up ${count(v.catchUpMs)} ms after the last command)`);
  const indent = ' '.repeat(18);
  if (v.order) {
    const o = v.order;
    lines.push(fit(`  ${'OrderSummary'.padEnd(16)}${o.orderId.padEnd(11)}${o.status} · ${plural(o.itemCount, 'item')} · ${cents(o.total)}`, WIDTH));
    lines.push(fit(`${indent}by ${o.customerName ?? '?'} <${o.customerEmail ?? '?'}>`, WIDTH));
    lines.push(`${indent}(name and email copied in from Customer events)`);
    lines.push(fit(`${indent}products ${o.productNames.join(', ')}`, WIDTH));
  }
  if (v.account) {
    const a = v.account;
    lines.push(fit(`  ${'AccountBalance'.padEnd(16)}${a.accountId.padEnd(11)}${cents(a.balance)} · ${a.status} · owner ${a.owner}`, WIDTH));
  }
  v.analytics.forEach((s, i) => {
    lines.push(`${i === 0 ? `  ${'Analytics'.padEnd(16)}` : indent}${s.status.padEnd(10)}${count(s.count).padStart(7)} ${s.count === 1 ? 'order ' : 'orders'}${cents(s.revenue).padStart(14)}`);
  });
}

const shown = (v: unknown) => (v === null ? 'null' : JSON.stringify(v));

function forgotten(lines: string[], r: DemoReport) {
  const f = r.forgotten;
  if (!f) return;
  lines.push('', `Forgotten: app.forget('${f.id}') deleted its key; its events stay in the log`);
  const c = f.state?.context;
  lines.push(fit(`  ${'Customer'.padEnd(16)}${f.id.padEnd(11)}name ${shown(c?.name)} · email ${shown(c?.email)} · phone ${shown(c?.phone)}`, WIDTH));
  if (f.order) lines.push(fit(`  ${'OrderSummary'.padEnd(16)}${f.order.orderId.padEnd(11)}by ${shown(f.order.customerName)} <${shown(f.order.customerEmail)}> · ${cents(f.order.total)}`, WIDTH));
  if (f.orders) lines.push(fit(`  ${'CustomerOrders'.padEnd(16)}${f.id.padEnd(11)}${shown(f.orders.name)} · ${plural(f.orders.orderCount, 'order')} · ${cents(f.orders.totalSpent)} spent`, WIDTH));
  lines.push(`${' '.repeat(18)}(views rebuilt; other fields and customers intact)`);
}

function verification(lines: string[], r: DemoReport) {
  const failed = r.checks.filter((c) => c.problems.length > 0);
  lines.push('', failed.length === 0 ? 'Checked against an independent model of the domain:' : 'Checked against an independent model of the domain: DIFFERENCES');
  for (const c of r.checks) lines.push(fit(`  ${c.problems.length === 0 ? '✓' : '✗'} ${c.what}${c.problems.length === 0 ? '' : ` (${plural(c.problems.length, 'difference')})`}`, WIDTH));
  // Differences are printed whole: they are rare, and the end of the line is the useful part.
  for (const c of failed) for (const p of c.problems.slice(0, 3)) lines.push(`      ${p}`);
  lines.push(failed.length === 0 ? 'verified: every count and state above matches the model' : `NOT verified: ${failed.length} of ${r.checks.length} checks found differences`);
}

/**
 * Formats the closing summary: throughput, outcomes by reason, the featured aggregates from the
 * write model and the read models, and the verification, each line at most 80 columns.
 *
 * @example
 * ```ts
 * process.stdout.write(formatSummary({ commands: 30_000, elapsedMs: 2310, tally, commits, account, order, customer, views, checks, kept: undefined }));
 * ```
 */
export function formatSummary(r: DemoReport): string {
  const t = r.tally;
  const lines: string[] = [''];
  lines.push(`${row('Commands', count(r.commands), 22)} in ${seconds(r.elapsedMs)}  ·  ${count(r.commands / Math.max(r.elapsedMs / 1000, 1e-3))} commands/s`);
  lines.push(`  ${row('accepted', count(t.accepted), 20)}${percent(t.accepted, r.commands).padStart(8)}   ${plural(t.events, 'event')} in ${plural(r.commits, 'commit')}`);
  group(lines, 'rejected', t.rejected, r.commands, 'by an aggregate, with a reason:', REASONS);
  group(lines, 'invalid', t.invalid, r.commands, 'refused before reaching one:', INVALID);
  if (t.failed.size > 0) group(lines, 'failed', t.failed, r.commands, 'errors a correct run never has:', {});
  writeModel(lines, r);
  readModels(lines, r);
  forgotten(lines, r);
  verification(lines, r);
  if (r.kept) lines.push(fit(`Data kept in ${r.kept}`, WIDTH));
  return `${lines.join('\n')}\n`;
}
