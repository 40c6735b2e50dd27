import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createLmdbEventLog } from '../../src/eventLog/lmdb/createLmdbEventLog.js';

const ev = [{ type: 'E', data: {} }];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trib-lock-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('embedded log writer lock', () => {
  it('lets one instance write; a second one can read but its append is refused with ConfigError', async () => {
    const dir = tempDir();
    const writer = await createLmdbEventLog({ path: dir });
    cleanups.push(() => writer.close());
    await writer.append('A', 'x', ev, { commandId: 'c1' });
    const other = await createLmdbEventLog({ path: dir });
    cleanups.push(() => other.close());
    expect(await other.readStream('A', 'x')).toHaveLength(1);
    await expect(other.append('A', 'x', ev, { commandId: 'c2' })).rejects.toBeInstanceOf(ConfigError);
    await writer.close();
    // Released on close: now the other one may write, and sees the first one's head.
    expect(await other.append('A', 'x', ev, { commandId: 'c2' })).toMatchObject({ version: 2, position: 2 });
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = tempDir();
    const first = await createLmdbEventLog({ path: dir });
    await first.append('A', 'x', ev, { commandId: 'c1' });
    await first.close();
    // A pid that cannot be alive (beyond pid_max on Linux).
    writeFileSync(join(dir, 'writer.lock'), '99999999');
    const log = await createLmdbEventLog({ path: dir });
    cleanups.push(() => log.close());
    expect(await log.append('A', 'x', ev, { commandId: 'c2' })).toMatchObject({ version: 2 });
  });

  it('refuses to append while another live process holds the lock, naming it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'writer.lock'), '');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    writeFileSync(join(dir, 'writer.lock'), String(child.pid));
    const log = await createLmdbEventLog({ path: dir });
    cleanups.push(() => log.close());
    await expect(log.append('A', 'x', ev, { commandId: 'c1' })).rejects.toThrow(new RegExp(`process ${child.pid}`));
    expect(await log.headPosition()).toBe(0);
  });
});

describe('embedded log robustness', () => {
  it('refuses an append whose data cannot be encoded, and keeps working', async () => {
    const log = await createLmdbEventLog({ path: tempDir() });
    cleanups.push(() => log.close());
    await expect(log.append('A', 'x', [{ type: 'E', data: { n: 10n ** 30n } }], { commandId: 'big' })).rejects.toMatchObject({ code: 'bad_encoding' });
    expect(await log.append('A', 'x', ev, { commandId: 'ok' })).toMatchObject({ version: 1, position: 1 });
  });
});
