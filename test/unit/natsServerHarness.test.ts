import { describe, expect, it } from 'vitest';
import { findNatsServer, NATS_SERVER_MISSING } from '../support/natsServer.js';

describe('the nats-server test harness', () => {
  it('fails loudly with the install command when nats-server is not installed', () => {
    expect(() => findNatsServer('/nonexistent-dir', [])).toThrow(NATS_SERVER_MISSING);
    expect(NATS_SERVER_MISSING).toContain('apt-get update && apt-get install -y nats-server');
  });

  it('finds the installed nats-server', () => {
    expect(findNatsServer()).toMatch(/nats-server$/);
  });
});
