/** The example aggregates, from the CQRS literature. */
export { Account } from './Account.js';
export { Customer } from './Customer.js';
export { Order } from './Order.js';
export { Inventory } from './Inventory.js';
export { Fulfilment, createFulfilment, type FulfilmentOptions } from './Fulfilment.js';
