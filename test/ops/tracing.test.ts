import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Account } from '../../actors/index.js';
import { AccountBalance } from '../../projections/index.js';
import { createApp, type NatsApp } from '../../src/createApp.js';
import { activeTraceFields } from '../../src/observability/tracing.js';
import { tempDir } from '../projection/support.js';
import { sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);

let dir: ReturnType<typeof tempDir>;
let app: NatsApp;
let stream: string;
const lines: Array<Record<string, unknown>> = [];
// The logger the CLI builds: every line written inside a span carries its trace id.
const logger = pino({ level: 'debug', mixin: activeTraceFields }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });

beforeAll(async () => {
  dir = tempDir();
  stream = uniqueName('TRACE');
  app = await createApp({
    engine: 'nats',
    servers: sharedNatsUrl(),
    stream,
    prefix: stream.toLowerCase(),
    aggregates: [Account],
    projections: [AccountBalance],
    dataDir: dir.dir,
    logger,
  });
});

afterAll(async () => {
  if (app) {
    const jsm = await jetstreamManager(app.log.connection);
    for (const name of [stream, `${stream}_SNAPSHOTS`]) await jsm.streams.delete(name).catch(() => undefined);
    await app.close();
  }
  await provider.shutdown();
  context.disable();
  dir?.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('OpenTelemetry traces across NATS', () => {
  it('a command sent over NATS is one trace: send → receive → decide → append, reply; the batch span links to the append', async () => {
    const r = await app.remote.send({ type: 'OpenAccount', aggregate: 'Account', id: 't-1', payload: { owner: 'Ada' }, commandId: 'open-t-1', correlationId: 'corr-7' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    await app.projection(AccountBalance).waitFor(r.position);
    let spans: ReadableSpan[] = [];
    for (let i = 0; i < 50 && named(spans, 'tributary.projection.batch').length === 0; i++) {
      await sleep(20);
      spans = exporter.getFinishedSpans();
    }

    const [send] = named(spans, 'tributary.command.send');
    expect(send, spans.map((s) => s.name).join(', ')).toBeDefined();
    const traceId = send!.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const [receive] = named(inTrace, 'tributary.command.receive');
    const [decide] = named(inTrace, 'tributary.command.decide');
    const [append] = named(inTrace, 'tributary.log.append');
    const [reply] = named(inTrace, 'tributary.command.reply');
    expect(parentOf(send!)).toBeUndefined();
    expect(parentOf(receive!)).toBe(send!.spanContext().spanId);
    expect(receive!.parentSpanContext?.isRemote).toBe(true);
    expect(parentOf(decide!)).toBe(receive!.spanContext().spanId);
    expect(parentOf(append!)).toBe(decide!.spanContext().spanId);
    expect(parentOf(reply!)).toBe(receive!.spanContext().spanId);

    expect(decide!.attributes).toMatchObject({
      'tributary.aggregate': 'Account',
      'tributary.command.type': 'OpenAccount',
      'tributary.command_id': 'open-t-1',
      'tributary.correlation_id': 'corr-7',
      'tributary.causation_id': 'open-t-1',
      'tributary.outcome': 'ok',
    });
    expect(append!.attributes).toMatchObject({ 'tributary.aggregate': 'Account', 'tributary.position': r.position });
    expect(send!.attributes).toMatchObject({ 'tributary.outcome': 'ok', 'tributary.correlation_id': 'corr-7' });

    // The commit carries the append span's traceparent, and the projection's batch span links to it.
    const stored = await new Promise<string | undefined>((resolve, reject) => {
      const sub = app.log.readAll({ fromPosition: r.position, live: false }).subscribe({ next: (c) => (resolve(c.traceparent), sub?.unsubscribe()), error: reject });
    });
    const a = append!.spanContext();
    expect(stored).toBe(`00-${a.traceId}-${a.spanId}-01`);
    const batches = named(spans, 'tributary.projection.batch').filter((b) => b.attributes['tributary.projection'] === 'AccountBalance');
    const linked = batches.flatMap((b) => b.links).find((l) => l.context.spanId === a.spanId);
    expect(linked?.context.traceId).toBe(traceId);
    expect(linked?.attributes).toEqual({ 'tributary.position': r.position });
  });

  it('a rejected command ends its spans with an error status and the code as outcome; its log line carries the trace id', async () => {
    exporter.reset();
    const r = await app.remote.send({ type: 'Withdraw', aggregate: 'Account', id: 't-1', payload: { amount: 5 }, commandId: 'wd-t-1' });
    expect(r.ok).toBe(false);
    const spans = exporter.getFinishedSpans();
    const [send] = named(spans, 'tributary.command.send');
    const [decide] = named(spans, 'tributary.command.decide');
    expect(send!.attributes['tributary.outcome']).toBe('rejected');
    expect(decide!.status.code).toBe(2);
    expect(named(spans, 'tributary.log.append')).toEqual([]);
    const line = lines.find((l) => l.msg === 'command not accepted' && l.commandId === 'wd-t-1');
    expect(line).toMatchObject({ trace_id: send!.spanContext().traceId, code: 'rejected' });
  });
});
