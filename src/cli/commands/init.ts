import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { projectFiles, type TemplateVersions } from '../init/templates.js';
import { runVerb } from '../readSide.js';

type Manifest = { name?: string; version?: string; dependencies?: Record<string, string> };

// This package's own package.json: two levels up from src/cli/commands, three from dist/src/cli/commands.
function ownManifest(): Manifest {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
      if (manifest.name === 'tributary') return manifest;
    }
  }
  throw new ConfigError("cannot find tributary's package.json to read the versions to depend on");
}

function versions(): TemplateVersions {
  const own = ownManifest();
  const dep = (name: string) => own.dependencies?.[name] ?? 'latest';
  return { tributary: `^${own.version}`, xstate: dep('xstate'), zod: dep('zod'), tsx: dep('tsx') };
}

function init(dir: string): void {
  const root = path.resolve(dir);
  if (fs.existsSync(root) && fs.readdirSync(root).some((entry) => entry !== '.git')) {
    throw new ConfigError(`${root} is not empty: init writes a new project into an empty or new directory`, { dir: root });
  }
  const name = path.basename(root).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'tributary-service';
  const files = projectFiles(name, versions());
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  const relative = path.relative(process.cwd(), root);
  const cd = relative.startsWith('..') ? root : relative;
  process.stdout.write(
    [
      `created ${Object.keys(files).join(', ')} in ${root}`,
      '',
      'next:',
      ...(cd === '' ? [] : [`  cd ${cd}`]),
      '  npm install',
      '  npm test                               # the given/when/then test of Task',
      '  NATS_URL=nats://127.0.0.1:4222 npx tributary serve   # hosts Task and OpenTasks (nats-server -js)',
      '',
    ].join('\n'),
  );
}

/**
 * Registers `tributary init [dir]`: scaffolds a runnable project in `dir` (default: the current
 * directory), which must be empty or new: a config, one aggregate (`src/Task.ts`), one projection
 * (`src/OpenTasks.ts`), a given/when/then test, a `package.json` depending on this tributary,
 * xstate and zod, a `tsconfig.json` and a three-line README.
 *
 * @example
 * ```ts
 * register(program); // tributary init my-service
 * ```
 */
export function register(program: Command): void {
  program
    .command('init')
    .description('scaffold a project: config, an aggregate, a projection and a test')
    .argument('[dir]', 'directory to create it in (empty or new)', '.')
    .action((dir: string) => runVerb('init', async () => init(dir)));
}
