import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, defineAggregate, type AggregateTypes, type App } from '../../src/index.js';
import { activeTraceFields } from '../../src/observability/tracing.js';
import { tempDir } from '../projection/support.js';

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);

// An event transition that throws on `boom` after the append: the host logs it (with the
// commandId), from inside the aggregate's mailbox, outside the caller's async context.
const commands = { Poke: z.object({ boom: z.boolean() }) };
const events = { Poked: z.object({ boom: z.boolean() }) };
const machine = setup({ types: {} as AggregateTypes<typeof commands, typeof events, { pokes: number }> }).createMachine({
  context: { pokes: 0 },
  on: {
    Poke: { actions: emit(({ event }) => ({ type: 'Poked', data: { boom: event.payload.boom } })) },
    Poked: {
      actions: assign({
        pokes: ({ context: c, event }) => {
          if (event.data.boom) throw new Error('boom');
          return c.pokes + 1;
        },
      }),
    },
  },
});
const Fragile = defineAggregate({ name: 'Fragile', machine, commands, events });

let dir: ReturnType<typeof tempDir>;
let app: App;
const lines: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'debug', mixin: activeTraceFields }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });

beforeAll(async () => {
  dir = tempDir();
  app = await createApp({ engine: 'embedded', dataDir: dir.dir, aggregates: [Fragile], logger });
});

afterAll(async () => {
  await app?.close();
  await provider.shutdown();
  context.disable();
  trace.disable();
  dir?.cleanup();
});

describe('log lines of an in-process command', () => {
  it("carry the trace id of that command's own span, for commands running side by side", async () => {
    const ids = ['f-1', 'f-2', 'f-3'];
    const results = await Promise.all(ids.map((id) => app.send({ type: 'Poke', aggregate: 'Fragile', id, payload: { boom: true }, commandId: `poke-${id}` })));
    // The commit is durable, so each command succeeded; the host logged the failed transition.
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);

    const decided = new Map(
      exporter
        .getFinishedSpans()
        .filter((s) => s.name === 'tributary.command.decide')
        .map((s) => [s.attributes['tributary.command_id'], s.spanContext()] as const),
    );
    for (const id of ids) {
      const span = decided.get(`poke-${id}`);
      expect(span, `a decide span for poke-${id}`).toBeDefined();
      const logged = lines.filter((l) => l.commandId === `poke-${id}`);
      expect(logged.map((l) => l.msg)).toEqual(['an event transition failed after the append; the instance will be reloaded']);
      expect(logged[0]).toMatchObject({ trace_id: span!.traceId, span_id: span!.spanId });
    }
    // Three commands, three traces: no line borrowed another command's.
    expect(new Set(lines.filter((l) => typeof l.commandId === 'string').map((l) => l.trace_id)).size).toBe(3);
  });

  it('a line naming a commandId that is not running has no trace fields', () => {
    expect(activeTraceFields({ commandId: 'never-sent' })).toEqual({});
  });
});
