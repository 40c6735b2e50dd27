import { nkeys } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { redactServers, resolveNatsConnectOptions } from '../../src/eventLog/nats/connectNats.js';

describe('resolveNatsConnectOptions', () => {
  it('reads servers and credentials from the environment, with fast defaults', () => {
    const o = resolveNatsConnectOptions({}, { NATS_URL: 'nats://a:4222, nats://b:4222', NATS_USER: 'u', NATS_PASSWORD: 'p' });
    expect(o).toMatchObject({ servers: ['nats://a:4222', 'nats://b:4222'], user: 'u', pass: 'p', noAsyncTraces: true });
    expect(o.maxReconnectAttempts).toBe(-1);
    expect(resolveNatsConnectOptions({}, {}).servers).toEqual(['nats://127.0.0.1:4222']);
    expect(resolveNatsConnectOptions({}, { NATS_TOKEN: 't' }).token).toBe('t');
  });

  it('code wins over the environment, and code credentials replace all env credentials', () => {
    const o = resolveNatsConnectOptions({ servers: 'nats://code:4222', token: 'tok' }, { NATS_URL: 'nats://env:4222', NATS_USER: 'u', NATS_PASSWORD: 'p' });
    expect(o.servers).toEqual(['nats://code:4222']);
    expect(o.token).toBe('tok');
    expect(o.user).toBeUndefined();
    expect(o.pass).toBeUndefined();
  });

  it('builds nkey and TLS options, and refuses combinations that cannot work', () => {
    const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
    expect(resolveNatsConnectOptions({ nkeySeed: seed }, {}).authenticator).toHaveLength(1);
    expect(() => resolveNatsConnectOptions({ nkeySeed: 'SUnotaseed' }, {})).toThrow(ConfigError);
    expect(() => resolveNatsConnectOptions({ credsFile: '/nonexistent/x.creds' }, {})).toThrow(/cannot read the NATS creds file/);
    expect(() => resolveNatsConnectOptions({}, { NATS_PASSWORD: 'p' })).toThrow(ConfigError);
    expect(() => resolveNatsConnectOptions({ user: 'u' }, {})).toThrow(/without a password/);
    expect(resolveNatsConnectOptions({}, { NATS_CA: '/ca.pem', NATS_CERT: '/c.pem', NATS_KEY: '/k.pem' }).tls).toEqual({
      caFile: '/ca.pem',
      certFile: '/c.pem',
      keyFile: '/k.pem',
    });
    expect(() => resolveNatsConnectOptions({}, { NATS_CERT: '/c.pem' })).toThrow(/both a cert file and a key file/);
    expect(resolveNatsConnectOptions({}, {}).tls).toBeUndefined();
  });

  it('never shows passwords embedded in server URLs', () => {
    expect(redactServers(['nats://app:s3cret@host:4222', 'nats://other:4222'])).toBe('nats://***@host:4222, nats://other:4222');
  });
});
