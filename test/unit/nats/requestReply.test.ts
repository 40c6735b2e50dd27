import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequester, type RequestEnd, type RequestOptions, type Requester } from '../../../src/nats/requestReply.js';
import { sharedNatsUrl, uniqueName } from '../../support/sharedNats.js';

const text = new TextEncoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Outcome = { replies: string[]; end: RequestEnd | undefined; ms: number };

// One request, resolved when it ends: by its last reply (`last` says which) or by its RequestEnd.
function ask(requester: Requester, subject: string, options: RequestOptions, last: (body: string) => boolean = () => true): Promise<Outcome> {
  const started = Date.now();
  const replies: string[] = [];
  return new Promise((resolve) => {
    requester.request(subject, text.encode('q'), options, {
      onReply(msg: Msg) {
        replies.push(msg.string());
        const done = last(msg.string());
        if (done) resolve({ replies, end: undefined, ms: Date.now() - started });
        return done;
      },
      onEnd: (end) => resolve({ replies, end, ms: Date.now() - started }),
    });
  });
}

describe('the request/reply helper, on a real nats-server', () => {
  let nc: NatsConnection;
  let server: NatsConnection;
  beforeAll(async () => {
    nc = await connect({ servers: sharedNatsUrl() });
    server = await connect({ servers: sharedNatsUrl() });
  });
  afterAll(async () => {
    await nc.close();
    await server.close();
  });

  it('gives each request its own replies, however they interleave, and several to one request', async () => {
    const subject = uniqueName('rr.echo');
    server.subscribe(subject, {
      callback: (_err, msg) => {
        const n = Number(msg.headers?.get('n'));
        setTimeout(() => msg.respond(`r${n}`), 40 - n * 4);
      },
    });
    const stream = uniqueName('rr.stream');
    server.subscribe(stream, { callback: (_err, msg) => ['a', 'b', 'c'].forEach((part, i) => setTimeout(() => msg.respond(part), i * 30)) });
    await server.flush();
    const requester = createRequester(nc);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, n) => {
        const h = headers();
        h.set('n', String(n));
        return ask(requester, subject, { timeout: 2000, headers: h });
      }),
    );
    expect(outcomes.map((o) => o.replies)).toEqual(Array.from({ length: 10 }, (_, n) => [`r${n}`]));
    const streamed = await ask(requester, stream, { timeout: 2000, nextTimeout: 500 }, (body) => body === 'c');
    expect(streamed).toMatchObject({ replies: ['a', 'b', 'c'], end: undefined });
    // Without a last reply, the silence after the last one ends it.
    const idle = await ask(requester, stream, { timeout: 2000, nextTimeout: 150 }, () => false);
    expect(idle).toMatchObject({ replies: ['a', 'b', 'c'], end: { kind: 'timeout' } });
    expect(idle.ms).toBeLessThan(1500);
    expect(requester.inFlight).toBe(0);
    requester.close();
  });

  it('ends an unanswered request at its timeout and drops the reply that comes later', async () => {
    const subject = uniqueName('rr.slow');
    let answered = 0;
    server.subscribe(subject, { callback: (_err, msg) => void setTimeout(() => msg.respond(`late ${++answered}`), 300) });
    await server.flush();
    const requester = createRequester(nc);
    const first = await ask(requester, subject, { timeout: 100 });
    expect(first).toMatchObject({ replies: [], end: { kind: 'timeout' } });
    expect(first.ms).toBeGreaterThanOrEqual(95);
    expect(first.ms).toBeLessThan(290);
    // The late reply reaches the inbox while a second request waits: it must not be taken for its answer.
    const second = await ask(requester, subject, { timeout: 1000 });
    expect(answered).toBe(2);
    expect(second).toMatchObject({ replies: ['late 2'], end: undefined });
    expect(second.ms).toBeGreaterThanOrEqual(250);
    expect(first.replies).toEqual([]);
    requester.close();
  });

  it('reports "no responders" at once, or keeps asking until a responder comes when the policy says so', async () => {
    const nobody = uniqueName('rr.nobody');
    const once = createRequester(nc);
    const direct = await ask(once, nobody, { timeout: 3000 });
    expect(direct).toMatchObject({ replies: [], end: { kind: 'noResponders' } });
    expect(direct.ms).toBeLessThan(1000);
    once.close();

    const attempts: number[] = [];
    const patient = createRequester(nc, { retryNoResponders: (attempt) => (attempts.push(attempt), 30) });
    const giveUp = await ask(patient, nobody, { timeout: 300 });
    expect(giveUp).toMatchObject({ replies: [], end: { kind: 'noResponders' } });
    expect(giveUp.ms).toBeGreaterThanOrEqual(250);
    expect(attempts.length).toBeGreaterThan(2);

    const late = uniqueName('rr.late');
    const pending = ask(patient, late, { timeout: 3000 });
    await sleep(200);
    server.subscribe(late, { callback: (_err, msg) => void msg.respond('here') });
    expect(await pending).toMatchObject({ replies: ['here'], end: undefined });
    patient.close();
  });

  it('sends an unanswered request again when asked to, and only then', async () => {
    const subject = uniqueName('rr.lossy');
    let seen = 0;
    server.subscribe(subject, { callback: (_err, msg) => void (++seen % 2 === 0 && msg.respond(`copy ${seen}`)) });
    await server.flush();
    const resending = createRequester(nc, { resendAfter: 100 });
    expect(await ask(resending, subject, { timeout: 2000 })).toMatchObject({ replies: ['copy 2'], end: undefined });
    expect(seen).toBe(2);
    resending.close();

    seen = 0;
    const plain = createRequester(nc);
    expect(await ask(plain, subject, { timeout: 400 })).toMatchObject({ replies: [], end: { kind: 'timeout' } });
    expect(seen).toBe(1);
    // resendPending() sends what still waits (the log calls it after a reconnect).
    const waiting = ask(plain, subject, { timeout: 2000 });
    await sleep(50);
    plain.resendPending();
    expect(await waiting).toMatchObject({ replies: ['copy 2'] });
    plain.close();
  });

  it('ends what waits on close, refuses later requests, and leaves its inbox', async () => {
    const subject = uniqueName('rr.never');
    let replyTo = '';
    server.subscribe(subject, { callback: (_err, msg) => void (replyTo = msg.reply ?? '') });
    await server.flush();
    const requester = createRequester(nc);
    const waiting = ask(requester, subject, { timeout: 5000 });
    await sleep(100);
    expect(replyTo).not.toBe('');
    requester.close();
    expect(await waiting).toMatchObject({ end: { kind: 'closed', by: 'requester' } });
    expect(requester.inFlight).toBe(0);
    expect(await ask(requester, subject, { timeout: 1000 })).toMatchObject({ end: { kind: 'closed', by: 'requester' } });
    await nc.flush();
    await expect(server.request(replyTo, 'ping', { timeout: 1000 })).rejects.toThrow(/no responders/i);
  });

  it('with unsubscribeWhenIdle, leaves its inbox once nothing waits and takes a new one for the next request', async () => {
    const subject = uniqueName('rr.idle');
    let replyTo = '';
    server.subscribe(subject, { callback: (_err, msg) => void ((replyTo = msg.reply ?? ''), msg.respond('ok')) });
    await server.flush();
    const requester = createRequester(nc, { unsubscribeWhenIdle: true });
    expect(await ask(requester, subject, { timeout: 1000 })).toMatchObject({ replies: ['ok'] });
    await sleep(100);
    await nc.flush();
    await expect(server.request(replyTo, 'ping', { timeout: 1000 })).rejects.toThrow(/no responders/i);
    expect(await ask(requester, subject, { timeout: 1000 })).toMatchObject({ replies: ['ok'] });
    // A requester without the option keeps its inbox: a stray message there is simply dropped.
    const keeping = createRequester(nc);
    expect(await ask(keeping, subject, { timeout: 1000 })).toMatchObject({ replies: ['ok'] });
    await sleep(100);
    await expect(server.request(replyTo, 'ping', { timeout: 300 })).rejects.toThrow(/timeout/i);
    keeping.close();
    requester.close();
  });

  it('ends what waits when the connection closes, and a handler that throws ends only its request', async () => {
    const own = await connect({ servers: sharedNatsUrl() });
    const requester = createRequester(own);
    const subject = uniqueName('rr.bad');
    server.subscribe(subject, { callback: (_err, msg) => void msg.respond('x') });
    await server.flush();
    const thrown = await new Promise<RequestEnd>((resolve) =>
      requester.request(subject, text.encode('q'), { timeout: 1000 }, {
        onReply: () => {
          throw new Error('cannot read it');
        },
        onEnd: resolve,
      }),
    );
    expect(thrown).toMatchObject({ kind: 'failed', error: { message: 'cannot read it' } });
    const silent = uniqueName('rr.silent');
    server.subscribe(silent, { callback: () => undefined });
    await server.flush();
    const waiting = ask(requester, silent, { timeout: 5000 });
    await own.flush();
    await own.close();
    const end = await waiting;
    expect(end).toMatchObject({ end: { kind: 'closed', by: 'connection' } });
    expect(end.ms).toBeLessThan(2000);
    expect(await ask(requester, subject, { timeout: 1000 })).toMatchObject({ end: { kind: 'unsent', connectionClosed: true } });
  });
});
