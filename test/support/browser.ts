import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian's chromium lives; CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The message a missing browser produces: the dashboard test fails with it, it never skips.
 *
 * @example
 * ```ts
 * await expect(launchChromium()).rejects.toThrow(CHROMIUM_MISSING);
 * ```
 */
export const CHROMIUM_MISSING =
  `chromium is not at ${CHROMIUM_PATH}: the dashboard test drives a real browser. ` +
  'Install it with `apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH), then run the tests again.';

/** A headless chromium with a fresh profile; `close()` removes the profile. */
export type Chromium = { readonly context: BrowserContext; close(): Promise<void> };

/**
 * Launches the system chromium headless through playwright-core (no browser download), with a
 * fresh `--user-data-dir` and the flags that keep it off the network.
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const page = await browser.context.newPage();
 * await browser.close();
 * ```
 */
export async function launchChromium(): Promise<Chromium> {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(CHROMIUM_MISSING);
  }
  const profile = mkdtempSync(join(tmpdir(), 'trib-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
