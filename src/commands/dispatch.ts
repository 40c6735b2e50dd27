import { randomUUID } from 'node:crypto';
import type { AggregateRegistry } from '../aggregate/aggregateRegistry.js';
import type { CommandMessage } from '../aggregate/aggregateTypes.js';
import type { AnyAggregateDefinition } from '../aggregate/defineAggregate.js';
import { validateCommand, type CheckedCommand } from '../aggregate/validateCommand.js';
import { ConfigError, UnknownCommandError, ValidationError, toErrorShape } from '../errors.js';
import { assertAggregateId } from '../eventLog/subjectToken.js';
import type { Logger } from '../logging/logger.js';
import type { Command, CommandResult } from './command.js';

/**
 * Sends one command and resolves with its result. Never rejects: every failure, including input
 * that is not a command at all, is `{ ok: false, error: { code, message, details } }`.
 *
 * @example
 * ```ts
 * const r = await send({ type: 'Deposit', aggregate: 'Account', id: 'a-1', payload: { amount: 10 } });
 * if (!r.ok && r.error.code === 'rejected') console.log(r.error.details?.reason);
 * ```
 */
export type Dispatch = (command: Command) => Promise<CommandResult>;

/**
 * Options of {@link createDispatch}.
 *
 * @example
 * ```ts
 * const send = createDispatch({ aggregates: [Account, Order], registry, logger });
 * ```
 */
export type DispatchOptions = {
  aggregates: readonly AnyAggregateDefinition[];
  registry: AggregateRegistry;
  logger: Logger;
};

const MAX_COMMAND_ID_LENGTH = 256;

// A command this node is running, which a retry of it (same commandId, aggregate and id) joins.
type RunningCommand = { readonly aggregate: string; readonly id: string; readonly result: Promise<CommandResult> };

function invalid(message: string, field: string): CommandResult {
  return { ok: false, error: new ValidationError(message, { field }).toShape() };
}

// Checks what is cheap to check before anything is looked up; returns the first problem found.
function checkShape(command: unknown): CommandResult | undefined {
  if (typeof command !== 'object' || command === null || Array.isArray(command)) {
    return invalid(`a command must be an object { type, aggregate, id, payload }, got ${command === null ? 'null' : typeof command}`, 'command');
  }
  const c = command as Record<string, unknown>;
  if (typeof c.type !== 'string' || c.type.length === 0) return invalid('command `type` must be a non-empty string', 'type');
  if (typeof c.aggregate !== 'string') return invalid('command `aggregate` must be a string', 'aggregate');
  if (typeof c.id !== 'string') return invalid('command `id` must be a string', 'id');
  if (c.payload === undefined) return invalid(`command ${c.type} has no \`payload\` (send {} for none)`, 'payload');
  if (c.commandId !== undefined && !(typeof c.commandId === 'string' && c.commandId.length > 0 && c.commandId.length <= MAX_COMMAND_ID_LENGTH)) {
    return invalid(`\`commandId\` must be a non-empty string of at most ${MAX_COMMAND_ID_LENGTH} characters`, 'commandId');
  }
  if (c.correlationId !== undefined && typeof c.correlationId !== 'string') return invalid('`correlationId` must be a string', 'correlationId');
  const ev = c.expectedVersion;
  if (ev !== undefined && !(typeof ev === 'number' && Number.isSafeInteger(ev) && ev >= 0)) {
    return invalid(`\`expectedVersion\` must be a non-negative integer, got ${String(ev)}`, 'expectedVersion');
  }
  return undefined;
}

/**
 * Creates in-process dispatch: validate the command's shape → find its aggregate
 * (`unknown_command`, listing the known ones) → check the id is a valid subject token (`invalid`)
 * → find the command type (`unknown_command`) → validate the payload against its schema
 * (`invalid`, with the issues in `details.issues`) → run it on the aggregate's host. Nothing is
 * written unless every check passes. A command whose commandId is already running on this node
 * gets that run's answer. `commandId` defaults to a random UUID and `correlationId` to
 * the commandId; the commandId is the causationId of the events.
 *
 * @example
 * ```ts
 * const send = createDispatch({ aggregates: [Account], registry, logger });
 * await send({ type: 'OpenAccount', aggregate: 'Account', id: 'a-1', payload: { owner: 'Ada' } });
 * ```
 */
export function createDispatch(options: DispatchOptions): Dispatch {
  const { registry, logger } = options;
  const byName = new Map<string, AnyAggregateDefinition>();
  for (const definition of options.aggregates) {
    if (byName.has(definition.name)) throw new ConfigError(`aggregate ${definition.name} is registered twice`);
    byName.set(definition.name, definition);
  }
  const known = [...byName.keys()].join(', ') || '(none)';

  const internal = (command: Command, err: unknown): CommandResult => {
    const shape = toErrorShape(err);
    if (shape.code === 'internal') logger.error({ aggregate: command?.aggregate, id: command?.id, commandId: command?.commandId, err }, 'dispatch failed');
    return { ok: false, error: shape };
  };

  // A retry of a command still queued or running joins it instead of queueing behind it: a client
  // that times out and retries during an outage (a stream leader election) would otherwise stack
  // up attempts in the mailbox, each waiting out its own append timeout after the outage ended.
  // Keyed by the commandId alone, whose hash the string keeps: a key built per command would be a
  // new string to hash twice. The entry says which aggregate runs it, so that the same commandId
  // sent to another aggregate is run there (and answered by the log's dedupe), never joined.
  const running = new Map<string, RunningCommand>();

  const proceed = (definition: AnyAggregateDefinition, command: Command, checked: CheckedCommand): Promise<CommandResult> => {
    if (!checked.ok) return Promise.resolve({ ok: false, error: checked.error.toShape() });
    const commandId = command.commandId;
    if (commandId === undefined) return execute(definition, command, checked.payload, randomUUID());
    const joined = running.get(commandId);
    if (joined !== undefined && joined.aggregate === command.aggregate && joined.id === command.id) return joined.result;
    const result = execute(definition, command, checked.payload, commandId);
    if (joined !== undefined) return result;
    running.set(commandId, { aggregate: command.aggregate, id: command.id, result });
    // `then`, not `finally`: a dispatch never rejects, and `finally` costs two more promises per command.
    void result.then(() => running.delete(commandId));
    return result;
  };

  const execute = (definition: AnyAggregateDefinition, command: Command, payload: unknown, commandId: string): Promise<CommandResult> => {
    const message: CommandMessage = {
      type: command.type,
      aggregate: command.aggregate,
      id: command.id,
      payload,
      commandId,
      correlationId: command.correlationId ?? commandId,
      expectedVersion: command.expectedVersion,
    };
    return registry.execute(definition, message);
  };

  return (command) => {
    try {
      const bad = checkShape(command);
      if (bad !== undefined) return Promise.resolve(bad);
      const definition = byName.get(command.aggregate);
      if (definition === undefined) {
        const error = new UnknownCommandError(`unknown aggregate ${JSON.stringify(command.aggregate)}; known aggregates: ${known}`, {
          aggregate: command.aggregate,
          known: [...byName.keys()],
        });
        return Promise.resolve({ ok: false, error: error.toShape() });
      }
      assertAggregateId(command.id);
      const checked = validateCommand(definition, command.type, command.payload);
      if (checked instanceof Promise) {
        return checked.then(
          (c) => proceed(definition, command, c),
          (err: unknown) => internal(command, err),
        );
      }
      return proceed(definition, command, checked);
    } catch (err) {
      return Promise.resolve(internal(command, err));
    }
  };
}
