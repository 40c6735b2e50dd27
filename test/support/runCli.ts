import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The CLI entry `npx tributary` runs. */
export const tributaryBin = fileURLToPath(new URL('../../src/cli/tributary.js', import.meta.url));

/** What a finished CLI run printed, and how it exited. */
export type CliRun = { code: number | null; stdout: string; stderr: string };

/**
 * Runs `tributary <args>` as a child process to the end (in `cwd`, default this process's), collecting its output.
 *
 * @example
 * ```ts
 * const { code, stdout } = await runCli(['query', 'AccountBalance', 'a-1', '--data-dir', dir], process.env);
 * ```
 */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliRun> {
  return runCommand(process.execPath, [tributaryBin, ...args], { env, cwd });
}

/**
 * Runs any command as a child process to the end, collecting its output.
 *
 * @example
 * ```ts
 * const { code } = await runCommand('npm', ['test'], { cwd: project, env: process.env });
 * ```
 */
export async function runCommand(command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd?: string | undefined }): Promise<CliRun> {
  const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
