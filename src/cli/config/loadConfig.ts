import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../errors.js';
import type { TributaryConfig } from '../../defineConfig.js';
import { validateConfig } from './validateConfig.js';

/** The file names a config is looked for under, in this order, in the current directory. */
export const CONFIG_FILES = ['tributary.config.ts', 'tributary.config.mts', 'tributary.config.mjs', 'tributary.config.js'] as const;

/**
 * A loaded config: what the file exported, checked, and the file's path (relative paths in it,
 * such as `dataDir`, are relative to the file's directory).
 *
 * @example
 * ```ts
 * const loaded: LoadedConfig = { file: '/app/tributary.config.ts', config: { aggregates: [Account] } };
 * ```
 */
export type LoadedConfig = { readonly file: string; readonly config: TributaryConfig };

/** How to create a config: printed when a verb needs one and none is found. */
export const CONFIG_HINT = [
  `create ${CONFIG_FILES[0]} in this directory (or give --config <file>):`,
  '',
  "  import { defineConfig } from 'tributary';",
  "  import { Account } from './src/Account.js';",
  '',
  "  export default defineConfig({ aggregates: [Account], projections: [], dataDir: './data' });",
  '',
  'or run `npx tributary init` to scaffold a project.',
].join('\n');

/**
 * The config file to use: `explicit` (from `--config`), which must exist, else the first of
 * {@link CONFIG_FILES} in `cwd`, else undefined.
 *
 * @example
 * ```ts
 * const file = findConfig(process.cwd(), flags.config);
 * ```
 */
export function findConfig(cwd: string, explicit?: string): string | undefined {
  if (explicit !== undefined) {
    const file = path.resolve(cwd, explicit);
    if (!fs.existsSync(file)) throw new ConfigError(`${file}: no such config file (given by --config)`, { file, field: '--config' });
    return file;
  }
  return CONFIG_FILES.map((name) => path.join(cwd, name)).find((file) => fs.existsSync(file));
}

// TypeScript goes through tsx's scoped tsImport, which transforms that file and what it imports
// without registering a loader for the rest of the process.
async function importFile(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (/\.[mc]?ts$/.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(url)) as Record<string, unknown>;
}

/**
 * Imports and checks a config file. Every failure is a `ConfigError` naming the file: one that
 * does not load (a syntax error, an import that fails: the cause's message follows), one with no
 * default export, or a bad field (see `validateConfig`).
 *
 * @example
 * ```ts
 * const { config } = await loadConfig('/app/tributary.config.ts');
 * ```
 */
export async function loadConfig(file: string): Promise<LoadedConfig> {
  let module: Record<string, unknown>;
  try {
    module = await importFile(file);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`${file}: cannot load the config: ${message}`, { file });
  }
  // tsx compiles a .ts file outside a "type": "module" package as CommonJS, whose default export
  // then comes back as `default.default`.
  let exported = module.default;
  if (exported !== null && typeof exported === 'object' && 'default' in exported && !('aggregates' in exported)) exported = (exported as { default: unknown }).default;
  if (exported === undefined) throw new ConfigError(`${file}: \`default\` export is missing: \`export default defineConfig({ ... })\``, { file, field: 'default' });
  return { file, config: validateConfig(exported, file) };
}
