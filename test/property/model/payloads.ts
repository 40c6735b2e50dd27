/**
 * What the reference model knows about command payloads: the rules of the example domain, written
 * from its description (README-level facts: "amounts are positive integer cents", "phone numbers
 * are E.164", "names are trimmed"), NOT from the zod schemas in actors/. Each function returns the
 * payload as the aggregate will see it (trimmed, unknown fields dropped) or `undefined` when the
 * payload is invalid.
 */

export type Item = { sku: string; name: string; quantity: number; unitPrice: number };
export type Address = { street: string; city: string; postalCode: string; country: string };

type Fields = Record<string, unknown>;
type Normalised = Record<string, unknown> | undefined;

const MAX_CENTS = 100_000_000_000;

/** A plain object (not null, not an array). */
export const isRecord = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string that is 1..max characters once surrounding whitespace is removed; undefined otherwise. */
function trimmed(v: unknown, max: number): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t.length >= 1 && t.length <= max ? t : undefined;
}

const positiveCents = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= MAX_CENTS;

// Good enough for the addresses the arbitraries produce; the generator only draws from a fixed pool
// whose validity this agrees with (asserted in the model's own test).
const EMAIL = /^[A-Za-z0-9_'+-]+(\.[A-Za-z0-9_'+-]+)*@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
export const isEmail = (v: unknown): v is string => typeof v === 'string' && v.length <= 254 && EMAIL.test(v);
export const isPhone = (v: unknown): v is string => typeof v === 'string' && /^\+[1-9][0-9]{6,14}$/.test(v);

function address(p: Fields): Address | undefined {
  const street = trimmed(p.street, 200);
  const city = trimmed(p.city, 100);
  const postalCode = trimmed(p.postalCode, 16);
  const country = typeof p.country === 'string' && /^[A-Z]{2}$/.test(p.country) ? p.country : undefined;
  if (street === undefined || city === undefined || postalCode === undefined || country === undefined) return undefined;
  return { street, city, postalCode, country };
}

function item(p: Fields): Item | undefined {
  const sku = trimmed(p.sku, 64);
  const name = trimmed(p.name, 200);
  const { quantity, unitPrice } = p;
  if (sku === undefined || name === undefined) return undefined;
  if (!(Number.isSafeInteger(quantity) && (quantity as number) >= 1 && (quantity as number) <= 10_000)) return undefined;
  if (!(Number.isSafeInteger(unitPrice) && (unitPrice as number) >= 0)) return undefined;
  return { sku, name, quantity: quantity as number, unitPrice: unitPrice as number };
}

const rules: Record<string, Record<string, (p: Fields) => Normalised>> = {
  Account: {
    OpenAccount: (p) => {
      const owner = trimmed(p.owner, 200);
      return owner === undefined ? undefined : { owner };
    },
    Deposit: (p) => (positiveCents(p.amount) ? { amount: p.amount } : undefined),
    Withdraw: (p) => (positiveCents(p.amount) ? { amount: p.amount } : undefined),
    CloseAccount: () => ({}),
  },
  Order: {
    CreateOrder: (p) =>
      typeof p.customerId === 'string' && p.customerId.length >= 1 && p.customerId.length <= 128 ? { customerId: p.customerId } : undefined,
    AddItem: (p) => item(p),
    ShipOrder: () => ({}),
    CancelOrder: (p) => {
      if (p.reason === undefined) return {};
      return typeof p.reason === 'string' && p.reason.length <= 500 ? { reason: p.reason } : undefined;
    },
  },
  Customer: {
    RegisterCustomer: (p) => {
      const name = trimmed(p.name, 200);
      if (name === undefined || !isEmail(p.email)) return undefined;
      if (p.phone === undefined) return { name, email: p.email };
      return isPhone(p.phone) ? { name, email: p.email, phone: p.phone } : undefined;
    },
    ChangeUserEmail: (p) => (isEmail(p.email) ? { email: p.email } : undefined),
    UpdateUserAddress: (p) => address(p),
    ChangePhoneNumber: (p) => (isPhone(p.phone) ? { phone: p.phone } : undefined),
  },
};

/** The aggregates of the example domain. */
export const AGGREGATES = Object.keys(rules);

/** Whether the aggregate exists in the example domain. */
export const knownAggregate = (aggregate: string): boolean => Object.hasOwn(rules, aggregate);

/** Whether the aggregate has a command of this type. */
export const knownCommand = (aggregate: string, type: string): boolean =>
  knownAggregate(aggregate) && Object.hasOwn(rules[aggregate]!, type);

/** The payload the aggregate sees, or undefined when it breaks the command's rules. */
export function normalisePayload(aggregate: string, type: string, payload: unknown): Record<string, unknown> | undefined {
  if (!isRecord(payload)) return undefined;
  return rules[aggregate]![type]!(payload);
}

/** Aggregate ids become NATS subject tokens: 1..128 characters, no `.`, `*`, `>`, whitespace or control characters. */
export const validId = (id: string): boolean => id.length >= 1 && id.length <= 128 && !/[.*>\s\u0000-\u001f\u007f]/u.test(id);
