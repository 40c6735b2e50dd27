import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin, cleanEnv, installInto, makeProject, ownManifest, packTarball, run, tscBin, type Packed } from '../support/packedProject.js';
import { deleteStreams, sharedNatsUrl, uniqueName } from '../support/sharedNats.js';

// The package as a user gets it: `npm pack`, then installed into fresh projects with no tsx and
// no TypeScript loader of their own. One pack and two installs for the whole file (~20 s of it).
const fixtures = fileURLToPath(new URL('../support/consumer', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trib-pkg-'));
const streams: string[] = [];
let packed: Packed;
let app: string;
let service: string;
const running = new Set<ChildProcess>();

const tributary = (project: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, [path.join(project, 'node_modules', '.bin', 'tributary'), ...args], { cwd: project, env });

async function serve(project: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [path.join(project, 'node_modules', '.bin', 'tributary'), 'serve', ...args], {
    cwd: project,
    env: cleanEnv({ LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!output.includes('tributary serve is ready')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`tributary serve did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  const [code] = child.exitCode !== null ? [child.exitCode] : ((await once(child, 'exit')) as [number | null]);
  running.delete(child);
  return code;
}

beforeAll(async () => {
  packed = await packTarball(tmp);
  const deps = ['zod', 'xstate'].map((name) => `${name}@${ownManifest.dependencies[name]}`);
  app = makeProject(tmp, 'app', fixtures, ['domain.mjs', 'app.mjs', 'require.cjs', 'tributary.config.mjs', 'typed.ts', 'tsconfig.nodenext.json', 'tsconfig.bundler.json']);
  // init runs from dist/, the build that npm pack just made and packed, so that both projects
  // install at the same time.
  service = path.join(tmp, 'service');
  const init = await run(process.execPath, [builtBin, 'init', service], { cwd: tmp });
  if (init.code !== 0) throw new Error(`tributary init failed:\n${init.stderr}`);
  await Promise.all([installInto(app, packed.tarball, [...deps, `@types/node@${ownManifest.devDependencies['@types/node']}`]), installInto(service, packed.tarball)]);
}, 240_000);

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await deleteStreams(streams);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds only dist, the README, the LICENSE and package.json, and stays small', () => {
    expect([...new Set(packed.files.map((f) => f.split('/')[0]))].sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json']);
    expect(packed.files.filter((f) => f.startsWith('dist/') && !/^dist\/(src|actors|projections)\//.test(f))).toEqual([]);
    expect(packed.files).toContain('dist/src/index.d.ts');
    expect(packed.files).toContain('dist/src/cli/main.js');
    expect(packed.files).toEqual(expect.arrayContaining(['dist/src/observability/dashboard/index.html', 'dist/src/observability/dashboard/dashboard.js']));
    expect(packed.size).toBeLessThan(1_000_000);
  });

  it('runs from plain JavaScript on the embedded engine and closes cleanly', async () => {
    const result = await run(process.execPath, ['app.mjs'], { cwd: app });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ outcomes: ['ok', 'ok', 'ok', 'rejected', 'invalid'], total: 42, state: { total: 42 }, version: 2 });
  });

  it('can be required from CommonJS (Node 20.19+), or fails with ERR_REQUIRE_ESM as documented', async () => {
    const result = await run(process.execPath, ['require.cjs'], { cwd: app });
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const canRequireEsm = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
    expect(JSON.parse(result.stdout)).toMatchObject(canRequireEsm ? { ok: true, createApp: 'function', given: 'function' } : { ok: false, code: 'ERR_REQUIRE_ESM' });
  });

  it.each(['nodenext', 'bundler'])('typechecks a typed aggregate, projection and given test against the shipped .d.ts (%s)', async (resolution) => {
    const result = await run(process.execPath, [tscBin, '-p', `tsconfig.${resolution}.json`], { cwd: app });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it("serves the user's config on NATS, and send, events and tail reach it", async () => {
    const servers = sharedNatsUrl();
    const stream = uniqueName('PKG');
    streams.push(stream);
    const prefix = stream.toLowerCase();
    // flag > env > config: --prefix and TRIBUTARY_PREFIX both override the config's 'from-config'.
    const node = await serve(app, ['--config', 'tributary.config.mjs', '--prefix', prefix, '--http', '127.0.0.1:0'], { NATS_URL: servers, TRIBUTARY_STREAM: stream });
    const env = { NATS_URL: servers, TRIBUTARY_STREAM: stream, TRIBUTARY_PREFIX: prefix };
    const sent = await tributary(app, ['send', 'Counter', 'n-1', 'Add', '{"amount":7}', '--command-id', 'pkg-add'], env);
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ ok: true, version: 1, events: [{ type: 'Added', data: { amount: 7 } }] });
    const tooMuch = await tributary(app, ['send', 'Counter', 'n-1', 'Add', '{"amount":100}'], env);
    expect(JSON.parse(tooMuch.stdout)).toMatchObject({ ok: false, error: { code: 'rejected', details: { reason: 'TooMuch' } } });

    const [events, tail] = await Promise.all([tributary(app, ['events', 'Counter', 'n-1'], env), tributary(app, ['tail', '--no-follow'], env)]);
    expect(events.code, events.stderr).toBe(0);
    expect(events.stdout.trim().split('\n').map((line) => JSON.parse(line))).toMatchObject([
      { position: 1, aggregate: 'Counter', id: 'n-1', version: 1, commandId: 'pkg-add', events: [{ type: 'Added', version: 1, data: { amount: 7 } }] },
    ]);
    expect(tail.stdout).toBe(events.stdout);

    // The dashboard's static files are read from dist/ at run time: the build copies them there.
    const ops = /operations endpoints on (http:\/\/[^ "]+)/.exec(node.output())?.[1];
    expect(ops, node.output()).toBeDefined();
    const [page, script, chart, metrics] = await Promise.all(['/', '/dashboard.js', '/uplot.js', '/metrics'].map((route) => fetch(`${ops}${route}`)));
    expect([page!.status, script!.status, chart!.status, metrics!.status]).toEqual([200, 200, 200, 200]);
    expect(await page!.text()).toMatch(/<title>Tributary<\/title>/);
    expect(await metrics!.text()).toMatch(/tributary_commands_total\{aggregate="Counter",type="Add",code="ok"\} 1/);
    expect(await stop(node.child)).toBe(0);
  });

  it("rebuilds and queries the user's projection on --data-dir, and prints its log", async () => {
    // app.mjs (run above) left its log and views in ./data.
    const rebuilt = await tributary(app, ['rebuild', 'Totals', '--data-dir', 'data']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ position: 2 });
    const [query, absent, events, tail] = await Promise.all([
      tributary(app, ['query', 'Totals', 'c-1', '--data-dir', 'data']),
      tributary(app, ['query', 'Totals', 'nobody', '--data-dir', 'data']),
      tributary(app, ['events', 'Counter', 'c-1', '--data-dir', 'data']),
      tributary(app, ['tail', '--data-dir', 'data', '--no-follow']),
    ]);
    expect([query.code, JSON.parse(query.stdout)]).toEqual([0, 42]);
    expect([absent.code, absent.stdout.trim()]).toEqual([1, 'null']);
    expect(events.stdout.trim().split('\n').map((line) => JSON.parse(line).commandId)).toEqual(['add-1', 'add-2']);
    expect(tail.stdout).toBe(events.stdout);
  });

  it('scaffolds with init a project whose test passes and whose TypeScript config serves on NATS', async () => {
    expect(fs.readdirSync(service).sort()).toEqual(
      ['.gitignore', 'README.md', 'node_modules', 'package-lock.json', 'package.json', 'src', 'test', 'tributary.config.ts', 'tsconfig.json'],
    );
    expect(fs.readFileSync(path.join(service, 'README.md'), 'utf8').trim().split('\n')).toHaveLength(3);
    // Its test uses tributary/testing with node's runner: no vitest is installed.
    expect(fs.existsSync(path.join(service, 'node_modules', 'vitest'))).toBe(false);
    const tested = await run('npm', ['test'], { cwd: service });
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/# pass 2/);

    const servers = sharedNatsUrl();
    const stream = uniqueName('INIT');
    streams.push(stream);
    const node = await serve(service, [], { NATS_URL: servers, TRIBUTARY_STREAM: stream });
    // The prefix comes from the generated config ('tasks'), for serve and send alike.
    const env = { NATS_URL: servers };
    const sent = await tributary(service, ['send', 'Task', 't-1', 'AddTask', '{"title":"Try it"}'], env);
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    const position = (JSON.parse(sent.stdout) as { position: number }).position;
    const query = await tributary(service, ['query', 'OpenTasks', 't-1', '--min-position', String(position)], env);
    expect(query.code, query.stderr).toBe(0);
    expect(JSON.parse(query.stdout)).toMatchObject({ title: 'Try it' });
    expect(await stop(node.child)).toBe(0);
  });
});
