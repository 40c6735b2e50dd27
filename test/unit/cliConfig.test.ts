import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findConfig, loadConfig } from '../../src/cli/config/loadConfig.js';
import { resolveSettings } from '../../src/cli/config/settings.js';
import { toNatsConnectOptions } from '../../src/cli/natsOptions.js';
import { toStreamOptions } from '../../src/cli/streamOptions.js';
import { ConfigError } from '../../src/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-config-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const actors = fileURLToPath(new URL('../../actors/index.ts', import.meta.url));
const projections = fileURLToPath(new URL('../../projections/index.ts', import.meta.url));

let dirs = 0;
// A directory holding one config file.
function project(file: string, text: string): { dir: string; file: string } {
  const dir = path.join(tmp, `p${++dirs}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, file), text);
  return { dir, file: path.join(dir, file) };
}

// Definitions are checked by shape, so plain objects stand in for them in .mjs configs.
const fakes = `
const aggregate = (name) => ({ name, machine: {}, commands: {}, events: {} });
const projection = (name) => ({ name, from: [], handlers: new Map(), indexes: new Map(), consumes: () => false });
`;

async function configError(file: string): Promise<ConfigError> {
  const err = await loadConfig(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('config files', () => {
  // The temp directory has no package.json: tsx compiles the file as CommonJS, the harder case.
  it('loads a TypeScript config that imports TypeScript, with no loader installed by the user', async () => {
    const { file } = project(
      'tributary.config.ts',
      `import { Account, Order } from ${JSON.stringify(actors)};
       import { AccountBalance } from ${JSON.stringify(projections)};
       const dataDir: string = './here';
       export default { aggregates: [Account, Order], projections: [AccountBalance], dataDir, engine: 'embedded' };`,
    );
    const { config } = await loadConfig(file);
    expect(config.aggregates.map((a) => a.name)).toEqual(['Account', 'Order']);
    expect(config.projections?.map((p) => p.name)).toEqual(['AccountBalance']);
  });

  it('finds tributary.config.* in the directory, or the file --config names', () => {
    const { dir, file } = project('tributary.config.mjs', 'export default {};');
    expect(findConfig(dir)).toBe(file);
    expect(findConfig(tmp)).toBeUndefined();
    expect(findConfig(tmp, path.relative(tmp, file))).toBe(file);
  });

  it('refuses a missing --config file, naming the file and the flag', () => {
    const missing = path.join(tmp, 'nope.config.ts');
    expect(() => findConfig(tmp, missing)).toThrow(ConfigError);
    expect(() => findConfig(tmp, missing)).toThrow(`${missing}: no such config file (given by --config)`);
  });

  it.each([
    ['a syntax error in TypeScript', 'tributary.config.ts', 'export default { aggregates: [ ;', undefined, /cannot load the config: .*tributary\.config\.ts:1:\d+: ERROR/s],
    ['a syntax error in JavaScript', 'tributary.config.mjs', 'export default {{', undefined, /cannot load the config: ./],
    ['a failing import', 'tributary.config.mjs', "import './nothing-here.mjs'; export default {};", undefined, /cannot load the config: .*nothing-here/],
    ['no default export', 'tributary.config.mjs', 'export const config = {};', 'default', /`default` export is missing/],
    ['no aggregates', 'tributary.config.mjs', 'export default { projections: [] };', 'aggregates', /`aggregates` is missing/],
    ['an empty aggregates list', 'tributary.config.mjs', 'export default { aggregates: [] };', 'aggregates', /`aggregates` is empty/],
    ['something else as an aggregate', 'tributary.config.mjs', `${fakes} export default { aggregates: [aggregate('A'), { name: 'B' }] };`, 'aggregates[1]', /`aggregates\[1\]` is not an aggregate/],
    [
      'duplicate aggregate names',
      'tributary.config.mjs',
      `${fakes} export default { aggregates: [aggregate('Account'), aggregate('Order'), aggregate('Account')] };`,
      'aggregates[2]',
      /`aggregates\[2\]` repeats the aggregate name "Account" of aggregates\[0\]/,
    ],
    [
      'duplicate projection names',
      'tributary.config.mjs',
      `${fakes} export default { aggregates: [aggregate('A')], projections: [projection('P'), projection('P')] };`,
      'projections[1]',
      /`projections\[1\]` repeats the projection name "P" of projections\[0\]/,
    ],
    ['an unknown engine', 'tributary.config.mjs', `${fakes} export default { aggregates: [aggregate('A')], engine: 'kafka' };`, 'engine', /`engine` is "kafka": use 'embedded' or 'nats'/],
    ['an unknown field', 'tributary.config.mjs', `${fakes} export default { aggregates: [aggregate('A')], projection: [] };`, 'projection', /`projection` is not a config field/],
    ['a bad nats section', 'tributary.config.mjs', `${fakes} export default { aggregates: [aggregate('A')], nats: { servers: 4222 } };`, 'nats.servers', /`nats.servers` must be a URL/],
    ['replicas out of range', 'tributary.config.mjs', `${fakes} export default { aggregates: [aggregate('A')], nats: { replicas: 7 } };`, 'nats.replicas', /`nats.replicas` must be an integer from 1 to 5, got 7/],
    ['an unknown storage', 'tributary.config.mjs', `${fakes} export default { aggregates: [aggregate('A')], nats: { storage: 'disk' } };`, 'nats.storage', /`nats.storage` is "disk": use 'file' or 'memory'/],
    ['a bad duration', 'tributary.config.mjs', `${fakes} export default { aggregates: [aggregate('A')], nats: { maxAge: '3 weeks' } };`, 'nats.maxAge', /`nats.maxAge` must be milliseconds or a duration/],
  ])('refuses %s, naming the file and the field', async (_what, name, text, field, message) => {
    const { file } = project(name, text);
    const err = await configError(file);
    expect(err.message.startsWith(`${file}: `)).toBe(true);
    expect(err.message).toMatch(message);
    expect(err.details).toEqual(field === undefined ? { file } : { file, field });
  });
});

describe('settings: flag > env > config > default', () => {
  it('takes the stream settings from the flag (or its environment variable), else the config, else the default', async () => {
    const { file } = project('tributary.config.mjs', `${fakes} export default { aggregates: [aggregate('A')], nats: { replicas: 3, storage: 'memory', maxAge: '7d', duplicateWindow: 90000 } };`);
    const nats = (await loadConfig(file)).config.nats;
    expect(toStreamOptions({}, nats)).toEqual({ replicas: 3, storage: 'memory', maxAge: 7 * 86_400_000, duplicateWindow: 90_000 });
    expect(toStreamOptions({ replicas: 1, maxAge: 0 }, nats)).toEqual({ replicas: 1, storage: 'memory', maxAge: 0, duplicateWindow: 90_000 });
    expect(toStreamOptions({})).toEqual({});
  });

  const config = `${fakes} export default { aggregates: [aggregate('A')], dataDir: 'data', engine: 'nats', nats: { prefix: 'cfg', stream: 'CFG', servers: 'nats://config:4222', user: 'cfg-user', password: 'cfg-pw' } };`;

  it('takes the flag over the environment over the config over the default', async () => {
    const { dir } = project('tributary.config.mjs', config);
    const env = { TRIBUTARY_PREFIX: 'env', TRIBUTARY_DATA_DIR: 'env-data', TRIBUTARY_ENGINE: 'embedded' };
    const flags = await resolveSettings({ prefix: 'flag', dataDir: 'flag-data', engine: 'nats' }, { needsConfig: true, cwd: dir, env });
    expect([flags.prefix, flags.dataDir, flags.engine]).toEqual(['flag', path.join(dir, 'flag-data'), 'nats']);
    const fromEnv = await resolveSettings({}, { needsConfig: true, cwd: dir, env });
    expect([fromEnv.prefix, fromEnv.dataDir, fromEnv.engine, fromEnv.stream]).toEqual(['env', path.join(dir, 'env-data'), 'embedded', 'CFG']);
    const fromConfig = await resolveSettings({}, { needsConfig: true, cwd: tmp, env: { TRIBUTARY_CONFIG: path.join(dir, 'tributary.config.mjs') } });
    // The config's relative dataDir is relative to the config file, wherever the CLI runs.
    expect([fromConfig.prefix, fromConfig.dataDir, fromConfig.engine, fromConfig.queue]).toEqual(['cfg', path.join(dir, 'data'), 'nats', 'tributary-commands']);
    const defaults = await resolveSettings({}, { needsConfig: false, cwd: tmp, env: {} });
    expect([defaults.config, defaults.prefix, defaults.dataDir, defaults.engine, defaults.stream]).toEqual([undefined, 'tributary', undefined, 'embedded', 'TRIBUTARY']);
    expect((await resolveSettings({ servers: 'nats://a:4222' }, { needsConfig: false, cwd: tmp, env: {} })).engine).toBe('nats');
  });

  it("uses the config's servers and credentials only when neither flags nor environment give any", () => {
    const nats = { servers: 'nats://config:4222', user: 'cfg-user', password: 'cfg-pw' };
    expect(toNatsConnectOptions({}, {}, nats)).toMatchObject({ servers: 'nats://config:4222', user: 'cfg-user', password: 'cfg-pw' });
    const fromEnv = toNatsConnectOptions({}, { NATS_URL: 'nats://env:4222', NATS_TOKEN: 't' }, nats);
    expect([fromEnv.servers, fromEnv.user, fromEnv.token]).toEqual([undefined, undefined, undefined]);
    expect(toNatsConnectOptions({ servers: 'nats://flag:4222', token: 'flag-t' }, { NATS_URL: 'nats://env:4222' }, nats)).toMatchObject({
      servers: ['nats://flag:4222'],
      token: 'flag-t',
    });
  });

  it('says how to create a config when a verb needs one and there is none', async () => {
    const err = await resolveSettings({}, { needsConfig: true, cwd: tmp, env: {} }).then(
      () => undefined,
      (e: unknown) => e as ConfigError,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toContain(`no config found in ${tmp}`);
    expect(err!.message).toMatch(/create tributary\.config\.ts .*export default defineConfig\(.*tributary init/s);
  });

  it('refuses an unknown TRIBUTARY_ENGINE', async () => {
    await expect(resolveSettings({}, { needsConfig: false, cwd: tmp, env: { TRIBUTARY_ENGINE: 'kafka' } })).rejects.toThrow(/TRIBUTARY_ENGINE is "kafka"/);
  });
});
