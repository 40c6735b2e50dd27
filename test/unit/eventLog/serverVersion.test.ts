import { describe, expect, it } from 'vitest';
import { replicatedStreamWarning, serializesSubjectSequence } from '../../../src/eventLog/nats/serverVersion.js';

describe('serializesSubjectSequence (nats-server#4320)', () => {
  it('is false before 2.9.21 and for unparseable versions, true from 2.9.21 on', () => {
    for (const v of ['2.9.10', '2.9.20', '2.8.4', 'v2.9.0', 'unknown', '']) expect(serializesSubjectSequence(v), v).toBe(false);
    for (const v of ['2.9.21', '2.9.25', '2.10.0', 'v2.11.3', '3.0.0']) expect(serializesSubjectSequence(v), v).toBe(true);
  });

  it('warns only for a replicated stream on an affected server', () => {
    expect(replicatedStreamWarning('2.9.10', 3)).toMatch(/2\.9\.21/);
    expect(replicatedStreamWarning('2.9.10', 1)).toBeUndefined();
    expect(replicatedStreamWarning('2.10.1', 3)).toBeUndefined();
  });
});
