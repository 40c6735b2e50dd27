// The CLI's config in this checkout: the example domain, so that `npx tributary serve`, `query`,
// `rebuild` and `status` work here as the README shows. It is not part of the package.
import { defineConfig } from './src/index.js';
import { Account, Customer, Fulfilment, Inventory, Order } from './actors/index.js';
import { exampleProjections } from './projections/index.js';

export default defineConfig({ aggregates: [Order, Account, Customer, Inventory], projections: exampleProjections, processes: [Fulfilment] });
