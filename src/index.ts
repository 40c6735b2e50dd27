/**
 * Tributary's public surface, `import { ... } from 'tributary'`: what a user writes (aggregates,
 * projections, a config), the app that runs them, and their types. It is a deliberate list: add
 * a name here only when users need it. The NATS building blocks are in `tributary/nats`
 * (src/nats.ts), the test helpers in `tributary/testing`, and the plumbing that tests and the CLI
 * share in src/internal.ts, which is not exported from the package. Examples in actors/ and
 * projections/ import only from here, exactly as a user's code would.
 */
export * from './errors.js';
export { AlreadyRefusedError } from './eventLog/alreadyRefusedError.js';

// Authoring: aggregates.
export { defineAggregate, type AggregateDefinition, type AnyAggregateDefinition, type ContextOf, type DefineAggregateOptions } from './aggregate/defineAggregate.js';
export { reject, isRejection, REJECTION_TYPE, type Rejection, type RejectionMessage } from './aggregate/reject.js';
export type { AggregateTypes, CommandMessage, CommandsOf, DomainEventsOf, EmittedOf, EventsOf, SchemaMap } from './aggregate/aggregateTypes.js';
export type { AggregateState } from './aggregate/aggregateActor.js';
export type { SchemaIssue } from './aggregate/validateSchema.js';
export type { EventSchemaSource, EventVersioning, PersonalFields, SubjectOf, UpcastStep } from './evolution/eventSchemas.js';

// Authoring: projections.
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

// The app and the CLI's config.
export { createApp, type App, type AppOptions, type AppProjectionOptions, type CommonAppOptions, type EmbeddedAppOptions, type NatsApp, type NatsAppOptions } from './createApp.js';
export { defineConfig, type TributaryConfig, type NatsConfig } from './defineConfig.js';

// Commands, events and the log.
export type { Command, CommandResult } from './commands/command.js';
export type * from './eventLog/eventLog.js';
export { createLmdbEventLog, type LmdbDurability, type LmdbEventLogOptions } from './eventLog/lmdb/createLmdbEventLog.js';

// Read models without createApp, and what a projection offers.
export { createProjections, type Projections, type ProjectionsOptions } from './projection/createProjections.js';
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

// Authoring: process managers.
export { defineProcess, type DefineProcessOptions, type ProcessDefinition } from './process/defineProcess.js';
export { sendCommand, PROCESS_COMMAND_TYPE, type CommandEmission, type ProcessCommand } from './process/sendCommand.js';
export type { CommandAnswerEvent, ProcessEvent, SentCommand } from './process/processEvents.js';
export type { InstanceHalt, InstanceRecord, PendingTimer, ProcessInput } from './process/processInstance.js';
export type { HaltedInstance, Process, ProcessInstanceState, ProcessStatus } from './process/processTypes.js';
export type { ProcessOptions, Processes } from './process/createProcesses.js';
export type { DispatchPolicy } from './process/outboxDispatcher.js';

// Logging.
export { createLogger, type LogFormat, type Logger, type LoggerOptions, type LogContext } from './logging/logger.js';

// The types a NatsApp exposes; their factories are in tributary/nats.
export type { NatsEventLog, NatsEventLogOptions } from './eventLog/nats/createNatsEventLog.js';
export type { NatsConnectOptions } from './eventLog/nats/connectNats.js';
export type { CommandClient, CommandClientOptions, SendOptions } from './commands/commandClient.js';
export type { CommandService, CommandServiceOptions } from './commands/commandService.js';
export type { NodeRebuildOutcome, NodeRebuildProgress, ViewClient, ViewClientOptions, WatchOptions } from './views/viewClient.js';
export type { ViewService, ViewServiceOptions } from './views/viewService.js';

// Operations: metrics, health, tracing and the ops HTTP server.
export { startOpsServer, type OpsServer, type OpsServerOptions } from './observability/opsServer.js';
export { withProjections, type OpsSource } from './observability/opsSource.js';
export type { ObservabilityOptions } from './observability/appObservability.js';
export type { HealthReport, ReadinessBounds } from './observability/health.js';
export type { ListenAddress } from './observability/listenAddress.js';
export type { AppMetrics, MetricsOptions } from './observability/metrics.js';
export type { CommandOutcome, Observer } from './observability/observer.js';
export type { ProjectionSample } from './observability/projectionSampler.js';
