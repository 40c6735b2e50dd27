import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { decodeViewKey, encodeViewKey, viewChangeSubject, viewRequestSubjects } from '../../src/views/viewSubjects.js';

// What NATS accepts as one subject token, and what the `*` wildcard (and `nats sub`) treat as one.
const TOKEN = /^[^\s.*>]+$/;

describe('view subjects', () => {
  it('keeps keys that are plain tokens as they are', () => {
    for (const key of ['o-1', 'a_1', 'day/2024-05-01', 'status:shipped', 'c@x', 'a+b=c,d']) expect(encodeViewKey(key)).toBe(key);
    expect(viewChangeSubject('tributary', 'AccountBalance', 'a-1')).toBe('tributary.view.AccountBalance.a-1');
    expect(viewChangeSubject('shop', 'AccountBalance')).toBe('shop.view.AccountBalance.*');
    expect(viewRequestSubjects('shop')).toMatchObject({ status: 'shop.views.status' });
    expect(viewRequestSubjects('shop').query('OrderSummary')).toBe('shop.views.query.OrderSummary');
  });

  it('encodes any other key as ~ and base64url of its UTF-8', () => {
    expect(encodeViewKey('a.b')).toBe('~YS5i');
    expect(encodeViewKey('ada@example.com')).toBe(`~${Buffer.from('ada@example.com').toString('base64url')}`);
    expect(encodeViewKey('$snapshot')).toMatch(/^~/);
    expect(encodeViewKey('~x')).toMatch(/^~/);
    expect(decodeViewKey('~YS5i')).toBe('a.b');
  });

  it('round-trips every key into one token, distinct keys into distinct tokens', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'binary' }), fc.string({ minLength: 1 }), (key, other) => {
        const token = encodeViewKey(key);
        expect(token).toMatch(TOKEN);
        expect(token.startsWith('$')).toBe(false);
        expect(decodeViewKey(token)).toBe(key);
        if (other !== key) expect(encodeViewKey(other)).not.toBe(token);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses tokens that no key encodes to, and empty keys', () => {
    for (const token of ['~', '~YS5i=', '~YWI', 'a.b', '~!!']) expect(() => decodeViewKey(token)).toThrow(ValidationError);
    expect(() => encodeViewKey('')).toThrow(ValidationError);
  });
});
