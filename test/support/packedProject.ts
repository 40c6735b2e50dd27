import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, type CliRun } from './runCli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs a command to the end in `cwd`, collecting its output. The environment is `env` alone plus
 * PATH and HOME (npm's cache), so nothing of the test runner's leaks into the child.
 *
 * @example
 * ```ts
 * const { code, stdout } = await run('npm', ['test'], { cwd: project });
 * ```
 */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
  return runCommand(command, args, { cwd: options.cwd, env: cleanEnv(options.env) });
}

/**
 * PATH and HOME from this process, plus `extra`.
 *
 * @example
 * ```ts
 * spawn('node', ['app.mjs'], { env: cleanEnv({ NATS_URL: url }) });
 * ```
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME ?? os.homedir(), ...extra };
}

async function succeed(command: string, args: readonly string[], cwd: string): Promise<CliRun> {
  const result = await run(command, args, { cwd });
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}) in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * The packed tarball and what `npm pack` said about it.
 *
 * @example
 * ```ts
 * const packed = await packTarball(dir); // packed.files: ['LICENSE', 'README.md', 'dist/src/index.js', ...]
 * ```
 */
export type Packed = { tarball: string; size: number; files: string[] };

/**
 * `npm pack` of this checkout into `dir` (its `prepare` script builds dist/ first).
 *
 * @example
 * ```ts
 * const { tarball } = await packTarball(fs.mkdtempSync(path.join(os.tmpdir(), 'pack-')));
 * ```
 */
export async function packTarball(dir: string): Promise<Packed> {
  const { stdout } = await succeed('npm', ['pack', '--json', '--pack-destination', dir], root);
  // prepare's output comes before the JSON.
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1)) as [{ filename: string; size: number; files: { path: string }[] }];
  return { tarball: path.join(dir, info.filename), size: info.size, files: info.files.map((f) => f.path) };
}

/**
 * Installs the tarball (and `packages`) into `dir`, reusing npm's cache: no network round trip for
 * what the cache already holds.
 *
 * @example
 * ```ts
 * await installInto(project, tarball, ['zod@^4.6.7']);
 * ```
 */
export async function installInto(dir: string, tarball: string, packages: readonly string[] = []): Promise<void> {
  await succeed('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, ...packages], dir);
}

/**
 * A new directory holding `files` (copied from `from`) and a minimal ESM package.json.
 *
 * @example
 * ```ts
 * const app = makeProject(tmp, 'app', consumerDir, ['app.mjs']);
 * ```
 */
export function makeProject(parent: string, name: string, from: string, files: readonly string[]): string {
  const dir = path.join(parent, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name, version: '0.0.0', private: true, type: 'module' }, null, 2)}\n`);
  for (const file of files) fs.copyFileSync(path.join(from, file), path.join(dir, file));
  return dir;
}

/** This checkout's package.json. */
export const ownManifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The TypeScript compiler of this checkout (a type checker, not a loader: the projects get none). */
export const tscBin = path.join(root, 'node_modules', '.bin', 'tsc');

/** The CLI as `npm pack` built it into this checkout's dist/ (the same file the tarball holds). */
export const builtBin = path.join(root, 'dist', 'src', 'cli', 'main.js');
