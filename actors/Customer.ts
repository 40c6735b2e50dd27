import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate, reject, type AggregateTypes } from '../src/index.js';

const name = z.string().trim().min(1).max(200);
const email = z.email().max(254);
/** E.164: a plus, a country code and up to 15 digits in all, no spaces. */
const phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'phone must be E.164, like +4930123456');
const address = z.object({
  street: z.string().trim().min(1).max(200),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(16),
  /** ISO 3166-1 alpha-2. */
  country: z.string().regex(/^[A-Z]{2}$/, 'country must be an ISO 3166-1 alpha-2 code, like DE'),
});

const commands = {
  RegisterCustomer: z.object({ name, email, phone: phone.optional() }),
  ChangeUserEmail: z.object({ email }),
  UpdateUserAddress: address,
  ChangePhoneNumber: z.object({ phone }),
};

const events = {
  CustomerRegistered: z.object({ name: z.string(), email: z.string(), phone: z.string().optional() }),
  UserEmailChanged: z.object({ email: z.string(), previousEmail: z.string() }),
  UserAddressUpdated: address,
  PhoneNumberChanged: z.object({ phone: z.string() }),
};

type Address = z.infer<typeof address>;
type Context = { name: string; email: string; phone: string | null; address: Address | null };

const sameAddress = (a: Address | null, b: Address) =>
  a !== null && a.street === b.street && a.city === b.city && a.postalCode === b.postalCode && a.country === b.country;

const machine = setup({
  types: {} as AggregateTypes<typeof commands, typeof events, Context>,
}).createMachine({
  id: 'Customer',
  context: { name: '', email: '', phone: null, address: null },
  initial: 'new',
  states: {
    new: {
      on: {
        RegisterCustomer: {
          actions: emit(({ event }) => ({
            type: 'CustomerRegistered',
            data: event.payload.phone === undefined ? { name: event.payload.name, email: event.payload.email } : event.payload,
          })),
        },
        CustomerRegistered: {
          target: 'registered',
          actions: assign(({ event }) => ({ name: event.data.name, email: event.data.email, phone: event.data.phone ?? null })),
        },
      },
    },
    registered: {
      on: {
        ChangeUserEmail: [
          {
            guard: ({ context, event }) => context.email.toLowerCase() === event.payload.email.toLowerCase(),
            actions: reject('SameEmail', ({ event }) => `the email is already ${event.payload.email}`),
          },
          { actions: emit(({ context, event }) => ({ type: 'UserEmailChanged', data: { email: event.payload.email, previousEmail: context.email } })) },
        ],
        UpdateUserAddress: [
          {
            guard: ({ context, event }) => sameAddress(context.address, event.payload),
            actions: reject('SameAddress', 'the address is unchanged'),
          },
          { actions: emit(({ event }) => ({ type: 'UserAddressUpdated', data: event.payload })) },
        ],
        ChangePhoneNumber: [
          {
            guard: ({ context, event }) => context.phone === event.payload.phone,
            actions: reject('SamePhoneNumber', ({ event }) => `the phone number is already ${event.payload.phone}`),
          },
          { actions: emit(({ event }) => ({ type: 'PhoneNumberChanged', data: { phone: event.payload.phone } })) },
        ],
        UserEmailChanged: { actions: assign({ email: ({ event }) => event.data.email }) },
        UserAddressUpdated: { actions: assign({ address: ({ event }) => event.data }) },
        PhoneNumberChanged: { actions: assign({ phone: ({ event }) => event.data.phone }) },
      },
    },
  },
});

/**
 * A customer, with task-based commands instead of one "UpdateUser": RegisterCustomer,
 * ChangeUserEmail (`SameEmail` when unchanged), UpdateUserAddress (`SameAddress`) and
 * ChangePhoneNumber (`SamePhoneNumber`), each validated on its own.
 *
 * @example
 * ```ts
 * await app.send({ type: 'ChangeUserEmail', aggregate: 'Customer', id: 'c-1', payload: { email: 'ada@example.org' } });
 * ```
 */
export const Customer = defineAggregate({ name: 'Customer', machine, commands, events });
