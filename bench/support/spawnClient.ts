import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { RemoteClientResult } from './remoteClient.js';

/**
 * Runs a W1 client script (`remoteClient.ts`, `serviceCeilingClient.ts`) in its own Node process,
 * as a real client would be, and returns the {@link RemoteClientResult} it prints. Its stderr
 * goes to ours; an exit other than 0 throws.
 *
 * @example
 * ```ts
 * const r = await runClientProcess(new URL('./remoteClient.ts', import.meta.url), [url, 'w1', '10000', '100000', '1000']);
 * ```
 */
export async function runClientProcess(script: URL, args: readonly string[]): Promise<RemoteClientResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the W1 client ${fileURLToPath(script)} exited with ${code}`);
  return JSON.parse(stdout) as RemoteClientResult;
}
