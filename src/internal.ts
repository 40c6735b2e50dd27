/**
 * Everything public plus the plumbing that the CLI, the tests and the benches share. Not exported
 * from the package (like nats.js's internal_mod.ts): names here may change in any release.
 */
export * from './index.js';
export * from './nats.js';
export { encode, decode } from './codec/msgpack.js';
export { childLogger } from './logging/logger.js';
export { assertAggregateId, assertAggregateName, MAX_ID_LENGTH } from './eventLog/subjectToken.js';
export { viewRequestSubjects } from './views/viewSubjects.js';
export { lockViews, viewsHolder, type ViewsLock } from './views/viewsLock.js';
export { createMetrics } from './observability/metrics.js';
export { parseListenAddress } from './observability/listenAddress.js';
export { activeTraceFields, tracerRegistered } from './observability/tracing.js';
