import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { AccountBalance } from '../../projections/index.js';
import { createApp, type App } from '../../src/createApp.js';
import { startOpsServer, type OpsServer } from '../../src/observability/opsServer.js';
import { tempDir } from '../projection/support.js';
import { Probe, ProbeTarget } from '../process/probe.js';
import { launchChromium, type Chromium } from '../support/browser.js';

// The page functions below run in the browser; the project compiles without the DOM library.
type PageNode = { textContent: string | null };
declare const document: { querySelector(selector: string): PageNode | null; querySelectorAll(selector: string): Iterable<PageNode> };

// DASHBOARD_SCREENSHOT=<file> also writes the screenshot there (the README's comes from this test).
const README_SHOT = process.env.DASHBOARD_SCREENSHOT;

let dir: ReturnType<typeof tempDir>;
let app: App;
let ops: OpsServer;
let browser: Chromium;
let page: Page;

beforeAll(async () => {
  dir = tempDir();
  app = await createApp({ engine: 'embedded', dataDir: dir.dir, aggregates: [Account, ProbeTarget], projections: [AccountBalance], processes: [Probe] });
  ops = await startOpsServer({ app, listen: '127.0.0.1:0', sampleIntervalMs: 250 });
  browser = await launchChromium();
  page = await browser.context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await ops?.close();
  await app?.close();
  dir?.cleanup();
});

const text = (selector: string) => page.locator(selector).first().textContent({ timeout: 10_000 });
const waitForText = (selector: string, expected: string | RegExp) =>
  page.waitForFunction(
    ([s, e, isRegex]) => {
      const t = document.querySelector(s as string)?.textContent ?? '';
      return isRegex ? new RegExp(e as string).test(t) : t === e;
    },
    [selector, expected instanceof RegExp ? expected.source : expected, expected instanceof RegExp] as const,
    { timeout: 10_000 },
  );

describe('the dashboard in headless Chromium', () => {
  it('shows counts rising, live view changes, a stopped projection lagging and process timers; takes a screenshot', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${ops.url}/`);
    await waitForText('#ready', 'ready');
    await waitForText('#projections tr[data-projection="AccountBalance"] td:nth-child(2)', 'running');

    // Send commands: the ok count and the actors rise, and the view changes appear live.
    for (let i = 0; i < 5; i++) await app.send({ type: 'OpenAccount', aggregate: 'Account', id: `acc-${i}`, payload: { owner: `Owner ${i}` } });
    for (let i = 0; i < 5; i++) await app.send({ type: 'Deposit', aggregate: 'Account', id: `acc-${i}`, payload: { amount: 100 + i } });
    await app.send({ type: 'Withdraw', aggregate: 'Account', id: 'acc-0', payload: { amount: 1_000_000 } });
    await waitForText('#commands tr[data-code="ok"] .total', '10');
    await waitForText('#commands tr[data-code="rejected"] .total', '1');
    await waitForText('#actors', '5');
    await page.waitForFunction(() => [...document.querySelectorAll('#changes li')].some((li) => /AccountBalance acc-4 .*"balance":104/.test(li.textContent ?? '')), null, {
      timeout: 10_000,
    });
    await waitForText('#projections tr[data-projection="AccountBalance"] .lag', '0');

    // Stop the projection: its lag rises on the page, in commits and in seconds.
    await app.projection(AccountBalance).stop();
    for (let i = 0; i < 3; i++) await app.send({ type: 'Deposit', aggregate: 'Account', id: 'acc-1', payload: { amount: 1 } });
    await waitForText('#projections tr[data-projection="AccountBalance"] td:nth-child(2)', 'stopped');
    // Lag is the head position less the projection's: the 3 deposits, plus the position the
    // stored rejection of the big Withdraw took after the projection's last commit.
    await waitForText('#projections tr[data-projection="AccountBalance"] .lag', '4');
    await page.waitForFunction(
      () => Number(document.querySelector('#projections tr[data-projection="AccountBalance"] .lag-seconds')?.textContent) >= 0.5,
      null,
      { timeout: 10_000 },
    );
    expect(await text('#commands tr[data-code="ok"] .total')).toBe('13');
    expect(await page.locator('#lag-chart canvas').count()).toBeGreaterThan(0);

    const shot = await page.screenshot({ fullPage: true, path: join(dir.dir, 'dashboard.png') });
    expect(shot.subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(join(dir.dir, 'dashboard.png')).length).toBeGreaterThan(10_000);
    if (README_SHOT) await page.screenshot({ fullPage: true, path: README_SHOT });

    // Resumed, it catches up and the page shows lag 0 again.
    app.projection(AccountBalance).resume();
    await waitForText('#projections tr[data-projection="AccountBalance"] .lag', '0');
    await waitForText('#projections tr[data-projection="AccountBalance"] td:nth-child(2)', 'running');

    // A process instance waiting on a timer shows in the process table; an embedded app has no shards.
    await waitForText('#processes tr[data-process="Probe"] .timers', '0');
    await app.send({ type: 'Poke', aggregate: 'ProbeTarget', id: 'p-1', payload: { wait: 3_600_000 } });
    await waitForText('#processes tr[data-process="Probe"] .timers', '1');
    expect(await page.locator('#shards-section').isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });
});
