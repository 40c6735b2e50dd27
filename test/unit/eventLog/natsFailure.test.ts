import { JetStreamApiError } from '@nats-io/jetstream';
import { errors as natsErrors } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { isTemporarilyUnavailable, natsFailure } from '../../../src/eventLog/nats/natsFailure.js';

// How a failed JetStream call reaches a client: a retryable code (timeout, connection, closed)
// or `internal`, which a client does not retry. An election must never read as `internal`.
describe('natsFailure', () => {
  it('a JetStream API 503 (a leader election) is a retryable connection error', () => {
    const err = new JetStreamApiError({ code: 503, err_code: 10008, description: 'JetStream system temporarily unavailable' });
    const failure = natsFailure(err, 'reading s.* from sequence 3');
    expect(failure.code).toBe('connection');
    expect(failure.message).toBe('reading s.* from sequence 3: JetStream is temporarily unavailable (JetStream system temporarily unavailable); retry shortly');
  });

  it('a timeout is a timeout; other API errors stay internal, with their description', () => {
    expect(natsFailure(new natsErrors.TimeoutError(), 'x').code).toBe('timeout');
    const other = natsFailure(new JetStreamApiError({ code: 400, err_code: 10005, description: 'no suitable peers for placement' }), 'x');
    expect(other).toMatchObject({ code: 'internal', message: 'x: no suitable peers for placement' });
    // Resource limits are 503 too, and retrying does not help: they stay internal.
    const limits = natsFailure(new JetStreamApiError({ code: 503, err_code: 10047, description: 'insufficient storage resources available' }), 'x');
    expect(limits.code).toBe('internal');
  });

  it('one rule says which API errors are an election, for reads and for publish acks alike', () => {
    expect(isTemporarilyUnavailable(503, 10008)).toBe(true);
    expect(isTemporarilyUnavailable(503, 0)).toBe(true);
    expect(isTemporarilyUnavailable(503, 10047)).toBe(false);
    expect(isTemporarilyUnavailable(400, 10071)).toBe(false);
  });
});
