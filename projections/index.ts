/**
 * The example read models. Each imports only Tributary's public surface, as a user's code would.
 */
import { AccountBalance } from './AccountBalance.js';
import { Analytics } from './Analytics.js';
import { CustomerOrders } from './CustomerOrders.js';
import { OrderSummary } from './OrderSummary.js';
import { ShippingDashboard } from './ShippingDashboard.js';

export * from './AccountBalance.js';
export * from './Analytics.js';
export * from './CustomerOrders.js';
export * from './OrderSummary.js';
export * from './ShippingDashboard.js';

/**
 * Every example projection, for `createProjections({ projections: exampleProjections })`.
 *
 * @example
 * ```ts
 * const projections = await createProjections({ log, path: './data/views', projections: exampleProjections });
 * ```
 */
export const exampleProjections = [OrderSummary, CustomerOrders, ShippingDashboard, Analytics, AccountBalance] as const;
