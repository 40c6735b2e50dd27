/**
 * Tributary's public surface. Examples in actors/ and projections/ import only from here,
 * exactly as a user's code would.
 */
export * from './errors.js';
export { encode, decode } from './codec/msgpack.js';
export { createLogger, childLogger, type Logger, type LoggerOptions, type LogContext } from './logging/logger.js';
export { assertAggregateId, assertAggregateName, MAX_ID_LENGTH } from './eventLog/subjectToken.js';
export type * from './eventLog/eventLog.js';
export type { Command, CommandResult } from './commands/command.js';
export { createLmdbEventLog, type LmdbEventLogOptions } from './eventLog/lmdb/createLmdbEventLog.js';
export { createNatsEventLog, type NatsEventLog, type NatsEventLogOptions } from './eventLog/nats/createNatsEventLog.js';
export { connectNats, resolveNatsConnectOptions, type NatsConnectOptions } from './eventLog/nats/connectNats.js';
export { defineAggregate, type AggregateDefinition, type AnyAggregateDefinition, type ContextOf, type DefineAggregateOptions } from './aggregate/defineAggregate.js';
export { reject, isRejection, REJECTION_TYPE, type Rejection, type RejectionMessage } from './aggregate/reject.js';
export type { AggregateTypes, CommandMessage, CommandsOf, DomainEventsOf, EmittedOf, EventsOf, SchemaMap } from './aggregate/aggregateTypes.js';
export type { AggregateState } from './aggregate/aggregateActor.js';
export type { SchemaIssue } from './aggregate/validateSchema.js';
export { createApp, type App, type AppOptions, type CommonAppOptions, type EmbeddedAppOptions } from './createApp.js';
export { given, type Given, type GivenCommand, type GivenEvent, type GivenOptions, type When } from './testing/given.js';
export type { AppProjectionOptions, NatsApp, NatsAppOptions } from './createApp.js';
export { createCommandService, DEFAULT_MAX_COMMAND_BYTES, type CommandService, type CommandServiceOptions } from './commands/commandService.js';
export { createCommandClient, DEFAULT_COMMAND_TIMEOUT, type CommandClient, type CommandClientOptions, type SendOptions } from './commands/commandClient.js';
export { commandSubject, DEFAULT_COMMAND_PREFIX, DEFAULT_COMMAND_QUEUE } from './commands/commandSubjects.js';
export { JSON_CONTENT_TYPE } from './commands/commandWire.js';
export {
  defineProjection,
  type EventMap,
  type IndexFunction,
  type ProjectionDefinition,
  type ProjectionHandler,
  type ProjectionHandlers,
  type ProjectionOptions,
} from './projection/defineProjection.js';
export type { IndexKey, View, ViewIndex } from './projection/view.js';
export type {
  ChangesFromOptions,
  EntriesOptions,
  Projection,
  ProjectionState,
  ProjectionStatus,
  ReadOptions,
  RebuildOptions,
  RebuildProgress,
  RebuildResult,
  SkippedEvent,
  ViewChange,
  ViewEntry,
  WaitOptions,
} from './projection/projection.js';
export { createProjections, type Projections, type ProjectionsOptions } from './projection/createProjections.js';
export {
  createViewClient,
  DEFAULT_VIEW_TIMEOUT,
  type NodeRebuildOutcome,
  type NodeRebuildProgress,
  type ViewClient,
  type ViewClientOptions,
  type WatchOptions,
} from './views/viewClient.js';
export { createViewPublisher, type ViewPublisherOptions } from './views/viewPublisher.js';
export { createViewService, type ViewService, type ViewServiceOptions } from './views/viewService.js';
export { DEFAULT_VIEWS_QUEUE, decodeViewKey, encodeViewKey, viewChangeSubject, viewRequestSubjects } from './views/viewSubjects.js';
export type { ReadNodeStatus, RebuildMessage, ViewQuery, ViewQueryChunk } from './views/viewWire.js';
export { lockViews, viewsHolder, type ViewsLock } from './views/viewsLock.js';
export { startOpsServer, type OpsServer, type OpsServerOptions } from './observability/opsServer.js';
export { withProjections, type OpsSource } from './observability/opsSource.js';
export type { ObservabilityOptions } from './observability/appObservability.js';
export type { HealthReport, ReadinessBounds } from './observability/health.js';
export type { ListenAddress } from './observability/listenAddress.js';
export type { AppMetrics, MetricsOptions } from './observability/metrics.js';
export type { CommandOutcome, Observer } from './observability/observer.js';
export type { ProjectionSample } from './observability/projectionSampler.js';
