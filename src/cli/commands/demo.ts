import { InvalidArgumentError, Option, type Command as Program } from 'commander';
import { Account, Customer, Order } from '../../../actors/index.js';
import { AccountBalance, Analytics, OrderSummary, statusKey, type StatusStats } from '../../../projections/index.js';
import { toErrorShape } from '../../errors.js';
import { withProjections } from '../../observability/opsSource.js';
import { activeTraceFields } from '../../observability/tracing.js';
import type { OpsServer } from '../../observability/opsServer.js';
import { addHttpOptions, addLogFormatOption, startCliOps, type HttpFlags } from '../httpOptions.js';
import { createLogger, type Logger } from '../../logging/logger.js';
import { DEMO_SHIP_WITHIN, openDemoEngine, type DemoEngine } from '../demo/demoEngine.js';
import { createFulfilmentWorkload, runFulfilment } from '../demo/demoFulfilment.js';
import { pickFeatured, type Featured } from '../demo/demoFeatured.js';
import { forgetCustomer } from '../demo/demoForget.js';
import { createDemoProgress } from '../demo/demoProgress.js';
import { formatSummary, type DemoReport } from '../demo/demoReport.js';
import { verifyReadModels, verifyWriteModel, type Check } from '../demo/demoVerify.js';
import { startDemoViews, type DemoViews } from '../demo/demoViews.js';
import { createDemoWorkload, type DemoWorkload } from '../demo/demoWorkload.js';
import { createOutcomeTally, type OutcomeTally } from '../demo/outcomeTally.js';
import { runWindowed } from '../../testing/runWindowed.js';
import { count, fit, plural } from '../demo/textFormat.js';

type DemoFlags = HttpFlags & {
  commands: number;
  seed: number;
  inFlight: number;
  dataDir?: string;
  engine: 'embedded' | 'nats';
  projections: boolean;
  logLevel?: string;
  logFormat?: 'json' | 'pretty';
};

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function seedOf(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`expected an integer from 0 to 4294967295, got ${JSON.stringify(value)}`);
  return n;
}

const say = (line = '') => process.stdout.write(`${line}\n`);

function outcomeChecks(w: DemoWorkload, tally: OutcomeTally, commits: number): Check[] {
  const expectedEvents = w.expected.reduce((n, e) => n + (e.kind === 'accepted' ? e.events : 0), 0);
  const eventProblems: string[] = [];
  if (tally.events !== expectedEvents) eventProblems.push(`events: expected ${count(expectedEvents)}, got ${count(tally.events)}`);
  // Every accepted command of this domain commits once, and the log started empty.
  if (commits !== tally.accepted) eventProblems.push(`log: expected ${plural(tally.accepted, 'commit')}, got ${count(commits)}`);
  return [
    {
      what: `${plural(w.commands.length, 'outcome')}, command by command (accepted, reason, code)`,
      problems: tally.mismatches > tally.examples.length ? [...tally.examples, `… ${count(tally.mismatches - tally.examples.length)} more`] : tally.examples,
    },
    { what: `${plural(expectedEvents, 'event')} in ${plural(commits, 'commit')}`, problems: eventProblems },
  ];
}

async function readFeatured(engine: DemoEngine, w: DemoWorkload, featured: Featured): Promise<Pick<DemoReport, 'account' | 'order' | 'customer'>> {
  const { app } = engine;
  const { account, order, customer } = featured;
  return {
    account: account === undefined ? undefined : { id: account, state: await app.state(Account, account), overdrawn: w.model.accounts.get(account)?.overdrawn ?? 0 },
    order: order === undefined ? undefined : { id: order, state: await app.state(Order, order) },
    customer: customer === undefined ? undefined : { id: customer, state: await app.state(Customer, customer) },
  };
}

async function readViews(views: DemoViews, featured: Featured, catchUpMs: number): Promise<NonNullable<DemoReport['views']>> {
  const { projections } = views;
  const summary = featured.order === undefined ? undefined : await projections.get(OrderSummary).get(featured.order);
  const analytics: StatusStats[] = [];
  for (const status of ['shipped', 'open', 'cancelled'] as const) {
    const stats = (await projections.get(Analytics).get(statusKey(status))) as StatusStats | undefined;
    if (stats) analytics.push(stats);
  }
  return {
    count: projections.names.length,
    catchUpMs,
    order: summary?.kind === 'order' ? summary : undefined,
    account: featured.account === undefined ? undefined : await projections.get(AccountBalance).get(featured.account),
    analytics,
  };
}

type DemoOutcome = 'verified' | 'differences' | 'interrupted';

// With --http the page stays up after the summary, until Ctrl-C, so that it can be looked at.
async function holdOps(ops: OpsServer | undefined, interrupt: AbortSignal): Promise<void> {
  if (ops === undefined || interrupt.aborted) return;
  say(`Dashboard, metrics and probes stay up on ${ops.url} until Ctrl-C`);
  await new Promise<void>((resolve) => interrupt.addEventListener('abort', () => resolve(), { once: true }));
}

async function runDemo(flags: DemoFlags, logger: Logger): Promise<DemoOutcome> {
  const workload = createDemoWorkload({ commands: flags.commands, seed: flags.seed });
  const featured = pickFeatured(workload.model);
  const engine = await openDemoEngine({ engine: flags.engine, dataDir: flags.dataDir, logger });
  let views: DemoViews | undefined;
  let ops: OpsServer | undefined;
  // Ctrl-C stops the run but still cleans up (a NATS demo must not leave its streams behind); a
  // second Ctrl-C exits at once.
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  const interrupted = () => {
    process.stderr.write(`interrupted; cleaning up\n`);
    return 'interrupted' as const;
  };
  try {
    say(`Tributary demo on the ${engine.engine} engine`);
    say(fit(`  log       ${engine.where}`, 80));
    say(fit(`  workload  ${count(flags.commands)} commands · seed ${flags.seed} · ${count(flags.inFlight)} in flight`, 80));
    const progress = createDemoProgress({ total: workload.commands.length });
    if (flags.projections) {
      views = await startDemoViews({
        log: engine.app.log,
        path: engine.viewsPath,
        logger,
        order: featured.order,
        onLive: (line) => progress.log(line),
        observer: engine.app.metrics?.observer,
      });
      if (featured.order !== undefined) progress.log(`Live: OrderSummary.changes$ for ${featured.order}, as a subscriber sees it`);
    }
    ops = await startCliOps(flags, views ? withProjections(engine.app, views.projections) : engine.app, logger);
    if (ops) progress.log(`Dashboard: ${ops.url}/  (metrics: ${ops.url}/metrics)`);

    const tally = createOutcomeTally(workload.commands, workload.expected);
    const started = performance.now();
    try {
      await runWindowed(
        workload.commands,
        flags.inFlight,
        (c) => engine.app.send(c),
        (result, i) => {
          tally.record(i, result);
          progress.update(tally.done);
        },
        interrupt.signal,
      );
    } finally {
      progress.stop();
    }
    const elapsedMs = performance.now() - started;
    if (interrupt.signal.aborted) return interrupted();
    const head = await engine.app.log.headPosition();
    let commits = 0;
    for await (const batch of engine.app.log.readBatches({ live: false })) commits += batch.length;

    const checks = outcomeChecks(workload, tally, commits);
    let viewReport: DemoReport['views'];
    if (views) {
      await views.catchUp(head);
      viewReport = await readViews(views, featured, performance.now() - started - elapsedMs);
    }
    if (interrupt.signal.aborted) return interrupted();
    const featuredStates = await readFeatured(engine, workload, featured);
    checks.push(await verifyWriteModel(engine.app, workload.model));
    if (views) checks.push(...(await verifyReadModels(views.projections, workload.model)));
    if (interrupt.signal.aborted) return interrupted();
    // After the checks above: the fulfilment orders are not in the main workload's model.
    const fulfilment = await runFulfilment(engine.app, createFulfilmentWorkload({ orders: Math.max(10, Math.min(300, Math.round(flags.commands / 100))), seed: flags.seed }), {
      inFlight: Math.min(flags.inFlight, 64),
      shipWithin: DEMO_SHIP_WITHIN,
      advanceClock: engine.advanceClock,
    });
    checks.push(fulfilment.check);
    // Last, once everything else is verified: the featured customer exercises the right to erasure.
    const forgotten = featured.customer === undefined ? undefined : await forgetCustomer(engine.app, views, featured.customer, featured.order);
    if (forgotten) checks.push(forgotten.check);

    const report: DemoReport = {
      commands: workload.commands.length,
      elapsedMs,
      tally,
      commits,
      ...featuredStates,
      views: viewReport,
      forgotten: forgotten?.report,
      checks,
      kept: engine.kept,
    };
    say(fit(fulfilment.summary, 80));
    process.stdout.write(formatSummary(report));
    await holdOps(ops, interrupt.signal);
    return checks.every((c) => c.problems.length === 0) ? 'verified' : 'differences';
  } finally {
    await ops?.close();
    await views?.close();
    await engine.dispose();
    process.off('SIGINT', onSignal);
  }
}

/**
 * Registers `tributary demo`: runs a seeded, realistic workload over the example domain (customers,
 * accounts, orders, with overdrafts, empty shipments and invalid input on purpose) with many
 * commands in flight, shows the example projections updating live, and ends with a summary that
 * is checked against an independent model. It runs on the embedded engine in a temp dir (no
 * server), or on NATS when `NATS_URL` is set (or `--engine nats`). Exit code 0 only when
 * everything was verified.
 *
 * @example
 * ```ts
 * register(program); // tributary demo --commands 2000 --seed 7 --data-dir ./demo-data
 * ```
 */
export function register(program: Program): void {
  addLogFormatOption(addHttpOptions(program.command('demo')))
    .description('run a verified, realistic workload over the example domain and print a summary (no server needed)')
    .option('-n, --commands <n>', 'how many commands to send', positive, 30_000)
    .option('--seed <n>', 'seed of the workload: the same seed sends the same commands', seedOf, 1)
    .option('--in-flight <n>', 'commands in flight at once (one aggregate still sees its commands in order)', positive, 256)
    .option('--data-dir <dir>', 'keep the data here (an empty or new directory); default: a temp dir, removed afterwards')
    .addOption(
      new Option('--engine <engine>', 'event log engine')
        .choices(['embedded', 'nats'])
        .default(process.env.NATS_URL ? 'nats' : 'embedded', 'nats when NATS_URL is set, else embedded'),
    )
    .option('--no-projections', 'run the write side only')
    .option('--log-level <level>', 'pino log level (env LOG_LEVEL)', process.env.LOG_LEVEL ?? 'warn')
    .action(async (flags: DemoFlags) => {
      const logger = createLogger({ level: flags.logLevel, format: flags.logFormat, mixin: activeTraceFields });
      try {
        const outcome = await runDemo(flags, logger);
        if (outcome !== 'verified') process.exitCode = outcome === 'interrupted' ? 130 : 1;
      } catch (err) {
        const e = toErrorShape(err);
        const hint = e.code === 'connection' ? ' (without NATS_URL, or with --engine embedded, the demo needs no server)' : '';
        process.stderr.write(`tributary demo failed: ${e.message}${hint}\n`);
        if (e.code === 'internal') logger.error({ err }, 'demo failed');
        process.exitCode = 1;
      }
    });
}
