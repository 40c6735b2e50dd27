import { jetstreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { decode, encode } from '../../src/codec/msgpack.js';
import type { Command, CommandResult } from '../../src/index.js';
import type { CeilingCore } from './ceilingCore.js';
import { createCeilingHost } from './ceilingHost.js';
import { addLogStream } from './jetStreamRaw.js';
import { runClientProcess } from './spawnClient.js';
import type { W1 } from './w1.js';

type WireCommand = { type: string; payload: unknown; commandId: string };

/**
 * The command service's ceiling: W1 sent by a bare client in another process
 * (`serviceCeilingClient.ts`: msgpack requests to `<prefix>.cmd.Account.<id>`, `window` in
 * flight) to a bare responder in this process that does only what no command service can leave
 * out: subscribe `<prefix>.cmd.Account.*` in a queue group, take the id from the subject, decode
 * the msgpack body, the host's unavoidable work with the raw JetStream publish
 * (`createCeilingHost`, as the in-process ceiling), and a msgpack reply with the result. No
 * framework: no app, no command service, no registry. Verified against the model (states,
 * the client's counts, the stream's message count).
 *
 * @example
 * ```ts
 * const run = await runServiceCeiling(nc, server.url, xstateCore(), w1, 'CEILING_SVC', 1000);
 * console.log(run.accepted / run.seconds, run.ok);
 * ```
 */
export async function runServiceCeiling<S>(nc: NatsConnection, url: string, core: CeilingCore<S>, w1: W1, stream: string, window: number) {
  const prefix = stream.toLowerCase();
  const jsm = await jetstreamManager(nc);
  await addLogStream(jsm, stream, prefix, { refusals: true });
  const host = createCeilingHost(nc, core, prefix);
  const base = `${prefix}.cmd.Account.`;
  const respond = (msg: Msg): void => {
    const replyTo = msg.reply!;
    const body = decode(msg.data) as WireCommand;
    const command: Command = { type: body.type, aggregate: 'Account', id: msg.subject.slice(base.length), payload: body.payload, commandId: body.commandId };
    const failed = (err: unknown): CommandResult => ({ ok: false, error: { code: 'internal', message: (err as Error).message } });
    void host.send(command).then((result) => nc.publish(replyTo, encode(result)), (err: unknown) => nc.publish(replyTo, encode(failed(err))));
  };
  const sub = nc.subscribe(`${base}*`, { queue: 'ceiling', callback: (err, msg) => (err ? console.error(`service ceiling: ${err.message}`) : respond(msg)) });
  try {
    await nc.flush();
    const r = await runClientProcess(new URL('./serviceCeilingClient.ts', import.meta.url), [url, prefix, String(w1.open.length), String(w1.operations.length), String(window)]);
    const stored = (await jsm.streams.info(stream)).state.messages;
    const ok = host.check(w1, r) && r.errors.length === 0 && stored === w1.open.length + w1.operations.length;
    if (!ok) console.error(`service ceiling ${stream}: ${stored} stored; ${r.errors.slice(0, 3).join('; ')}`);
    await jsm.streams.delete(stream);
    return { ...r, ok };
  } finally {
    sub.unsubscribe();
    host.close();
  }
}
