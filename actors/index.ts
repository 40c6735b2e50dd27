/** The example aggregates, from the CQRS literature. */
export { Account } from './Account.js';
export { Customer } from './Customer.js';
export { Order } from './Order.js';
