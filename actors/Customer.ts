import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate, reject, type AggregateTypes, type EventVersioning, type PersonalFields } from '../src/index.js';

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
  // Null once the customer was forgotten and registers a new email.
  UserEmailChanged: z.object({ email: z.string(), previousEmail: z.string().nullable() }),
  UserAddressUpdated: address,
  PhoneNumberChanged: z.object({ phone: z.string() }),
};

type Address = z.infer<typeof address>;
/** After `app.forget(customerId)` every personal field reads as null (see "Personal data"). */
type Context = { name: string | null; email: string | null; phone: string | null; address: Address | null };

const sameAddress = (a: Address | null, b: Address) =>
  a !== null && a.street === b.street && a.city === b.city && a.postalCode === b.postalCode && a.country === b.country;

/**
 * v1 of UserAddressUpdated held the address as one line, "street, postal code, city, country"
 * (like "1 Main St, 10115, Berlin, DE"). Erased, the line is null, and so is every part.
 */
function structuredAddress(d: { address: string | null }): Record<keyof Address, string | null> {
  if (d.address === null) return { street: null, city: null, postalCode: null, country: null };
  const parts = d.address.split(',').map((p) => p.trim());
  // A street may hold commas itself; the last three parts never do.
  const [postalCode = '', city = '', country = ''] = parts.slice(-3);
  return { street: parts.slice(0, -3).join(', '), postalCode, city, country };
}

const versions = {
  UserAddressUpdated: {
    version: 2,
    upcasters: { 1: { example: { address: '1 Main St, 10115, Berlin, DE' }, upcast: structuredAddress } },
  },
} satisfies Record<string, EventVersioning>;

// A customer is their own data subject: forgetting customer c-1 erases these fields of c-1's events.
const self = ({ id }: { id: string }) => id;
const personal = {
  CustomerRegistered: { subject: self, fields: ['name', 'email', 'phone'] },
  UserEmailChanged: { subject: self, fields: ['email', 'previousEmail'] },
  UserAddressUpdated: { subject: self, fields: ['street', 'city', 'postalCode', 'country'] },
  PhoneNumberChanged: { subject: self, fields: ['phone'] },
} satisfies Record<string, PersonalFields>;

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
            guard: ({ context, event }) => context.email?.toLowerCase() === event.payload.email.toLowerCase(),
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
 * Name, email, phone and address are personal data of the customer (encrypted in the log; null
 * after `app.forget(customerId)`). UserAddressUpdated is at version 2: structured, upcast from the
 * one-line address of version 1.
 *
 * @example
 * ```ts
 * await app.send({ type: 'ChangeUserEmail', aggregate: 'Customer', id: 'c-1', payload: { email: 'ada@example.org' } });
 * ```
 */
export const Customer = defineAggregate({ name: 'Customer', machine, commands, events, versions, personal });
