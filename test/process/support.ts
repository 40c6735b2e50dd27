import { Account, createFulfilment, Inventory, Order } from '../../actors/index.js';
import type { App } from '../../src/createApp.js';
import { createApp } from '../../src/createApp.js';
import type { ProcessOptions } from '../../src/process/createProcesses.js';

export const AGGREGATES = [Order, Account, Inventory];

/** An embedded app running the Fulfilment process with the given `shipWithin`. */
export function fulfilmentApp(dataDir: string, shipWithin: number, processOptions: ProcessOptions = {}): Promise<App> {
  return createApp({ engine: 'embedded', dataDir, aggregates: AGGREGATES, processes: [createFulfilment({ shipWithin })], processOptions });
}

type Send = App['send'];

async function must(send: Send, command: Parameters<Send>[0]) {
  const r = await send(command);
  if (!r.ok) throw new Error(`${command.type} ${command.aggregate}/${command.id} failed: ${r.error.code} ${r.error.message}`);
  return r;
}

/** Stocks a SKU with `quantity` (none when 0). */
export async function stock(send: Send, sku: string, quantity: number) {
  if (quantity > 0) await must(send, { type: 'Restock', aggregate: 'Inventory', id: sku, payload: { quantity } });
}

/** Opens an account holding `balance` cents. */
export async function account(send: Send, id: string, balance: number) {
  await must(send, { type: 'OpenAccount', aggregate: 'Account', id, payload: { owner: id } });
  if (balance > 0) await must(send, { type: 'Deposit', aggregate: 'Account', id, payload: { amount: balance } });
}

/** Creates an order with `lines` and places it, paid from `accountId`. Returns the PlaceOrder result. */
export async function placeOrder(send: Send, id: string, accountId: string, lines: readonly { sku: string; quantity: number; unitPrice: number }[]) {
  await must(send, { type: 'CreateOrder', aggregate: 'Order', id, payload: { customerId: 'c-1' } });
  for (const l of lines) await must(send, { type: 'AddItem', aggregate: 'Order', id, payload: { ...l, name: l.sku } });
  return must(send, { type: 'PlaceOrder', aggregate: 'Order', id, payload: { accountId } });
}
