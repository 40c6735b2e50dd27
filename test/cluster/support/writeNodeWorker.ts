// Child process of the cluster tests: one `tributary` write node serving Account commands, so a
// test can kill -9 it. argv: servers (comma-separated), stream, replicas, lease ms (default 1500).
import { Account } from '../../../actors/index.js';
import { createApp } from '../../../src/createApp.js';

const [servers, stream, replicas, leaseMs = '1500'] = process.argv.slice(2) as [string, string, string, string?];
const app = await createApp({
  engine: 'nats',
  servers: servers.split(','),
  stream,
  prefix: stream.toLowerCase(),
  replicas: Number(replicas),
  aggregates: [Account],
  ownership: { heartbeatMs: Math.max(100, Math.floor(Number(leaseMs) / 6)), leaseMs: Number(leaseMs) },
});
process.stdout.write(`ready ${app.commands?.subjects.join(',') ?? ''}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
