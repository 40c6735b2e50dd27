import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Account, Fulfilment, Inventory, Order } from '../../actors/index.js';
import { createApp, type App, type AppOptions, type Command, type CommandResult } from '../../src/index.js';

type EngineOptions = Omit<AppOptions, 'aggregates'> & Pick<AppOptions, 'engine'>;
import { runWindowed } from '../../src/testing/runWindowed.js';
import { startNatsServer } from '../../test/support/natsServer.js';
import type { Suite } from '../main.js';
import { benchLogger } from '../support/benchLogger.js';
import { percentile, type Report } from '../support/report.js';

const WINDOW = 64;
const SKUS = ['TEA', 'MUG', 'POT'];
type Placed = { order: string; account: string; lines: { sku: string; quantity: number; unitPrice: number }[]; total: number };

function orders(n: number, tag: string): Placed[] {
  return Array.from({ length: n }, (_, i) => {
    const lines = [{ sku: SKUS[i % 3]!, quantity: 1 + (i % 3), unitPrice: 250 }, { sku: SKUS[(i + 1) % 3]!, quantity: 1, unitPrice: 400 }];
    return { order: `${tag}-o${i}`, account: `${tag}-a${i}`, lines, total: lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0) };
  });
}

async function must(app: App, c: Command): Promise<CommandResult> {
  const r = await app.send(c);
  if (!r.ok) throw new Error(`${c.type} ${c.id}: ${r.error.message}`);
  return r;
}

// Stock, funded accounts and filled orders, not timed: both runs start from the same point.
async function prepare(app: App, list: readonly Placed[]) {
  for (const sku of SKUS) await must(app, { type: 'Restock', aggregate: 'Inventory', id: sku, payload: { quantity: 1_000_000 } });
  await runWindowed(list, WINDOW, async (p) => {
    await must(app, { type: 'OpenAccount', aggregate: 'Account', id: p.account, payload: { owner: p.order } });
    await must(app, { type: 'Deposit', aggregate: 'Account', id: p.account, payload: { amount: p.total } });
    await must(app, { type: 'CreateOrder', aggregate: 'Order', id: p.order, payload: { customerId: 'bench' } });
    for (const l of p.lines) await must(app, { type: 'AddItem', aggregate: 'Order', id: p.order, payload: { ...l, name: l.sku } });
  });
}

async function verify(app: App, list: readonly Placed[]): Promise<boolean> {
  for (const p of list) {
    if ((await app.state('Order', p.order))?.value !== 'shipped') return false;
    if ((await app.state(Account, p.account))?.context.balance !== 0) return false;
  }
  return true;
}

// The process: PlaceOrder only; Fulfilment reserves and takes the payment, and a warehouse loop
// ships each order as soon as its payment is in the log. Latency: PlaceOrder sent → OrderShipped in the log.
async function runProcess(options: EngineOptions, list: readonly Placed[]) {
  const app = await createApp({ ...options, aggregates: [Order, Account, Inventory], processes: [Fulfilment], logger: benchLogger } as AppOptions);
  try {
    await prepare(app, list);
    const from = (await app.log.headPosition()) + 1;
    const placedAt = new Map<string, number>();
    const latencies: number[] = [];
    let resolveAll: () => void = () => {};
    const allShipped = new Promise<void>((r) => (resolveAll = r));
    const warehouse = app.log.readAll({ fromPosition: from }).subscribe((commit) => {
      for (const e of commit.events) {
        if (e.type === 'Withdrawn' && e.correlationId.startsWith('Fulfilment/')) {
          void app.send({ type: 'ShipOrder', aggregate: 'Order', id: e.correlationId.slice('Fulfilment/'.length), payload: {} });
        } else if (e.type === 'OrderShipped' && placedAt.has(e.id)) {
          latencies.push(performance.now() - placedAt.get(e.id)!);
          if (latencies.length === list.length) resolveAll();
        }
      }
    });
    const t0 = performance.now();
    await runWindowed(list, WINDOW, async (p) => {
      placedAt.set(p.order, performance.now());
      return must(app, { type: 'PlaceOrder', aggregate: 'Order', id: p.order, payload: { accountId: p.account } });
    });
    await allShipped;
    const seconds = (performance.now() - t0) / 1000;
    warehouse.unsubscribe();
    await app.process(Fulfilment).settled({ timeout: 60_000 });
    const status = await app.process(Fulfilment).status();
    const ok = (await verify(app, list)) && status.halted.length === 0 && status.outbox === 0;
    return { seconds, latencies, ok };
  } finally {
    await app.close();
  }
}

// The raw baseline: a loop that knows the answers sends the same commands itself, one order after
// the other's answer, the same number of orders in flight.
async function runRaw(options: EngineOptions, list: readonly Placed[]) {
  const app = await createApp({ ...options, aggregates: [Order, Account, Inventory], logger: benchLogger } as AppOptions);
  try {
    await prepare(app, list);
    const t0 = performance.now();
    const latencies = await runWindowed(list, WINDOW, async (p) => {
      await must(app, { type: 'PlaceOrder', aggregate: 'Order', id: p.order, payload: { accountId: p.account } });
      for (const l of p.lines) await must(app, { type: 'ReserveStock', aggregate: 'Inventory', id: l.sku, payload: { order: p.order, quantity: l.quantity } });
      await must(app, { type: 'Withdraw', aggregate: 'Account', id: p.account, payload: { amount: p.total } });
      await must(app, { type: 'ShipOrder', aggregate: 'Order', id: p.order, payload: {} });
    });
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, latencies: Array.from(latencies), ok: await verify(app, list) };
  } finally {
    await app.close();
  }
}

async function measure(report: Report, engine: 'embedded' | 'nats', options: () => EngineOptions, n: number) {
  const suite = 'processes';
  const raw = await runRaw(options(), orders(n, 'r'));
  const proc = await runProcess(options(), orders(n, 'p'));
  const ok = proc.ok && raw.ok;
  report.add({ suite, metric: `${engine}: fulfilments/s vs raw loop that knows the answers`, value: n / proc.seconds, unit: 'orders/s', baseline: n / raw.seconds, ok });
  report.add({ suite, metric: `${engine}: placed→shipped p50`, value: percentile(proc.latencies, 50), unit: 'ms', baseline: percentile(raw.latencies, 50), ok });
  report.add({ suite, metric: `${engine}: placed→shipped p99`, value: percentile(proc.latencies, 99), unit: 'ms', baseline: percentile(raw.latencies, 99), ok });
}

/**
 * `npm run bench -- processes`: the order-fulfilment process manager end to end on both engines
 * (orders placed → stock reserved, payment taken, shipped) against a raw loop that sends the same
 * commands itself, in the same run, with the same orders in flight.
 *
 * @example
 * ```sh
 * npm run bench -- processes --quick
 * ```
 */
export const processesSuite: Suite = async (report, { quick }) => {
  const n = quick ? 200 : 2000;
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'trib-bench-proc-'));
    dirs.push(d);
    return d;
  };
  try {
    await measure(report, 'embedded', () => ({ engine: 'embedded', dataDir: dataDir() }), n);
    const server = await startNatsServer();
    const streams: string[] = [];
    try {
      let k = 0;
      await measure(report, 'nats', () => {
        const stream = `PROC_BENCH_${k++}`;
        streams.push(stream);
        return { engine: 'nats', servers: server.url, stream, prefix: stream.toLowerCase(), serveCommands: false };
      }, n);
      const nc = await connect({ servers: server.url });
      const jsm = await jetstreamManager(nc);
      for (const s of streams) for (const name of [s, `${s}_SNAPSHOTS`, `${s}_PROCESSES`]) await jsm.streams.delete(name).catch(() => undefined);
      await nc.close();
    } finally {
      await server.dispose();
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
};
