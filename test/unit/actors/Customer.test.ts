import { describe, it } from 'vitest';
import { Customer } from '../../../actors/index.js';
import { given, type GivenEvent } from '../../../src/testing/index.js';

type History = GivenEvent<typeof Customer>[];
const address = { street: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' };
const registered: History = [{ type: 'CustomerRegistered', data: { name: 'Ada Lovelace', email: 'ada@example.org', phone: '+4930123456' } }];
const withAddress: History = [...registered, { type: 'UserAddressUpdated', data: address }];

// The assertions are `.then(events)` and `.thenRejects(code, reason)`: they reject with an
// AssertionError on any difference (test/unit/testing/given.test.ts shows a wrong expectation fails).
describe('Customer', () => {
  describe('RegisterCustomer', () => {
    it('registers a customer', async () => {
      await given(Customer)
        .when('RegisterCustomer', { name: 'Ada Lovelace', email: 'ada@example.org' })
        .then([{ type: 'CustomerRegistered', data: { name: 'Ada Lovelace', email: 'ada@example.org' } }]);
    });
    it('registers a customer with a phone number', async () => {
      await given(Customer)
        .when('RegisterCustomer', { name: 'Ada', email: 'ada@example.org', phone: '+4930123456' })
        .then([{ type: 'CustomerRegistered', data: { name: 'Ada', email: 'ada@example.org', phone: '+4930123456' } }]);
    });
    it('refuses an invalid email', async () => {
      await given(Customer).when('RegisterCustomer', { name: 'Ada', email: 'not-an-email' }).thenRejects('invalid');
    });
    it('refuses to register twice', async () => {
      await given(Customer, registered).when('RegisterCustomer', { name: 'Ada', email: 'ada@example.org' }).thenRejects('rejected', 'NotAccepted');
    });
  });

  describe('ChangeUserEmail', () => {
    it('changes the email, remembering the previous one', async () => {
      await given(Customer, registered)
        .when('ChangeUserEmail', { email: 'countess@example.org' })
        .then([{ type: 'UserEmailChanged', data: { email: 'countess@example.org', previousEmail: 'ada@example.org' } }]);
    });
    it('refuses the same email, in any case, with SameEmail', async () => {
      await given(Customer, registered).when('ChangeUserEmail', { email: 'ADA@example.org' }).thenRejects('rejected', 'SameEmail');
    });
    it('compares with the latest email', async () => {
      await given(Customer, [...registered, { type: 'UserEmailChanged', data: { email: 'new@example.org', previousEmail: 'ada@example.org' } }])
        .when('ChangeUserEmail', { email: 'ada@example.org' })
        .then([{ type: 'UserEmailChanged', data: { email: 'ada@example.org', previousEmail: 'new@example.org' } }]);
    });
    it('refuses an invalid email', async () => {
      await given(Customer, registered).when('ChangeUserEmail', { email: 'ada@' }).thenRejects('invalid');
    });
    it('refuses an unknown customer', async () => {
      await given(Customer).when('ChangeUserEmail', { email: 'ada@example.org' }).thenRejects('rejected', 'NotAccepted');
    });
  });

  describe('UpdateUserAddress', () => {
    it('sets the address', async () => {
      await given(Customer, registered).when('UpdateUserAddress', address).then([{ type: 'UserAddressUpdated', data: address }]);
    });
    it('moves to a new address', async () => {
      const moved = { ...address, street: '2 Side St' };
      await given(Customer, withAddress).when('UpdateUserAddress', moved).then([{ type: 'UserAddressUpdated', data: moved }]);
    });
    it('refuses the same address with SameAddress', async () => {
      await given(Customer, withAddress).when('UpdateUserAddress', { ...address }).thenRejects('rejected', 'SameAddress');
    });
    it.each([
      ['a lower-case country', { ...address, country: 'de' }],
      ['a three-letter country', { ...address, country: 'DEU' }],
      ['an empty city', { ...address, city: ' ' }],
      ['a missing postal code', { street: '1 Main St', city: 'Berlin', country: 'DE' }],
    ])('refuses %s', async (_what, payload) => {
      await given(Customer, registered).when('UpdateUserAddress', payload as typeof address).thenRejects('invalid');
    });
    it('refuses an unknown customer', async () => {
      await given(Customer).when('UpdateUserAddress', address).thenRejects('rejected', 'NotAccepted');
    });
  });

  describe('ChangePhoneNumber', () => {
    it('changes the phone number', async () => {
      await given(Customer, registered).when('ChangePhoneNumber', { phone: '+14155550123' }).then([{ type: 'PhoneNumberChanged', data: { phone: '+14155550123' } }]);
    });
    it('refuses the same number with SamePhoneNumber', async () => {
      await given(Customer, registered).when('ChangePhoneNumber', { phone: '+4930123456' }).thenRejects('rejected', 'SamePhoneNumber');
    });
    it.each(['030 123456', '+0301234567', '+49', '+49 30 123456'])('refuses %s, which is not E.164', async (phone) => {
      await given(Customer, registered).when('ChangePhoneNumber', { phone }).thenRejects('invalid');
    });
    it('refuses an unknown customer', async () => {
      await given(Customer).when('ChangePhoneNumber', { phone: '+14155550123' }).thenRejects('rejected', 'NotAccepted');
    });
  });
});
