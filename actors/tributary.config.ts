// The CLI's config for the example domain, so that `npx tributary serve`, `query`, `rebuild` and
// `status` work in this checkout as the README shows (`--config actors/tributary.config.ts`, or
// TRIBUTARY_CONFIG). It lives here, not at the top level, which holds only what the user fixed,
// and it is not part of the package.
import { defineConfig } from '../src/index.js';
import { Account, Customer, Fulfilment, Inventory, Order } from './index.js';
import { exampleProjections } from '../projections/index.js';

export default defineConfig({ aggregates: [Order, Account, Customer, Inventory], projections: exampleProjections, processes: [Fulfilment] });
