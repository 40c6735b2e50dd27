import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { assertAggregateId, assertAggregateName, MAX_ID_LENGTH } from '../../src/eventLog/subjectToken.js';

describe('subject tokens', () => {
  it.each(['a-1', 'order_42', 'ÄÖ-ü', 'x'.repeat(MAX_ID_LENGTH), 'user@example'])('accepts id %j', (id) => {
    expect(() => assertAggregateId(id)).not.toThrow();
  });

  it.each(['a.b', '*', '>', 'a b', 'tab\there', '', 'x'.repeat(MAX_ID_LENGTH + 1), 'nl\n', 42, undefined])(
    'refuses id %j with a ValidationError',
    (id) => {
      expect(() => assertAggregateId(id)).toThrow(ValidationError);
    },
  );

  it('names the offending character', () => {
    expect(() => assertAggregateId('a.b')).toThrow(/contains "\."/);
  });

  it.each(['Account', 'Order_2'])('accepts aggregate name %j', (n) => expect(() => assertAggregateName(n)).not.toThrow());
  it.each(['', '1abc', 'a.b', 'a*', 'has space', 'x'.repeat(65)])('refuses aggregate name %j', (n) => {
    expect(() => assertAggregateName(n)).toThrow(ValidationError);
  });
});
