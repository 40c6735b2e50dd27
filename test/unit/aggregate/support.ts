import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { Account, Customer, Order } from '../../../actors/index.js';
import { createApp, type App, type CommonAppOptions } from '../../../src/index.js';
import { Lab } from './labAggregate.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An embedded app over `dataDir` (a fresh one by default) with the example aggregates and Lab, closed after the test. */
export async function openApp(dataDir = tempDir(), options: Partial<CommonAppOptions> = {}): Promise<App> {
  const app = await createApp({ engine: 'embedded', dataDir, aggregates: [Account, Order, Customer, Lab], ...options });
  cleanups.push(() => app.close());
  return app;
}

/** Registers a cleanup to run after the test. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}
