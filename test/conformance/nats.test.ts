import { describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createNatsEventLog } from '../../src/eventLog/nats/createNatsEventLog.js';
import type { EventLog } from '../../src/eventLog/eventLog.js';
import { describeEventLog } from '../../src/testing/describeEventLog.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

// Every test gets its own stream and subject prefix on the shared server, so tests never see each
// other's commits; the streams are deleted afterwards to keep the server small.
describeEventLog('nats', async () => {
  const servers = sharedNatsUrl();
  const stream = uniqueName('CONF');
  const open = () => createNatsEventLog({ servers, stream, prefix: stream.toLowerCase() });
  let log: EventLog = await open();
  return {
    get log() {
      return log;
    },
    async reopen() {
      await log.close();
      log = await open();
      return log;
    },
    async cleanup() {
      await log.close();
      const nc = await connect({ servers });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.delete(stream);
        await jsm.streams.delete(`${stream}_SNAPSHOTS`);
      } finally {
        await nc.close();
      }
    },
  };
}, { describe, it, expect });
