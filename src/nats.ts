/**
 * `tributary/nats`: the NATS engine's building blocks, for a process that needs less (or more)
 * than `createApp({ engine: 'nats' })`: a command client on a connection of its own, a command
 * service over any dispatch function, a JetStream event log, view clients and services, and the
 * subject and wire rules that clients in other languages follow.
 */
export { connectNats, resolveNatsConnectOptions, type NatsConnectOptions } from './eventLog/nats/connectNats.js';
export { createNatsEventLog, type NatsEventLog, type NatsEventLogOptions } from './eventLog/nats/createNatsEventLog.js';
export { createCommandService, DEFAULT_MAX_COMMAND_BYTES, type CommandService, type CommandServiceOptions } from './commands/commandService.js';
export { createCommandClient, DEFAULT_COMMAND_TIMEOUT, type CommandClient, type CommandClientOptions, type SendOptions } from './commands/commandClient.js';
export { commandSubject, DEFAULT_COMMAND_PREFIX, DEFAULT_COMMAND_QUEUE } from './commands/commandSubjects.js';
export { JSON_CONTENT_TYPE } from './commands/commandWire.js';
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
export { DEFAULT_VIEWS_QUEUE, decodeViewKey, encodeViewKey, viewChangeSubject } from './views/viewSubjects.js';
export type { ReadNodeStatus, RebuildMessage, ViewQuery, ViewQueryChunk } from './views/viewWire.js';
