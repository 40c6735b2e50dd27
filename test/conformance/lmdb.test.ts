import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLmdbEventLog } from '../../src/eventLog/lmdb/createLmdbEventLog.js';
import { describeEventLog } from '../../src/testing/describeEventLog.js';
import type { EventLog } from '../../src/eventLog/eventLog.js';

// The same contract whichever moment an append is acknowledged at.
for (const durability of ['committed', 'flushed'] as const) {
describeEventLog(durability === 'committed' ? 'lmdb' : 'lmdb, durability flushed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trib-log-'));
  let log: EventLog = await createLmdbEventLog({ path: dir, durability });
  return {
    get log() {
      return log;
    },
    async reopen() {
      await log.close();
      log = await createLmdbEventLog({ path: dir, durability });
      return log;
    },
    async cleanup() {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}, { describe, it, expect });
}
