import type { CommandResult } from '../../src/index.js';
import type { RemoteClientResult } from './remoteClient.js';

/**
 * What a W1 client process counts: openings accepted, operations accepted, InsufficientFunds
 * rejections, and every other answer as an error, into a {@link RemoteClientResult} it prints.
 *
 * @example
 * ```ts
 * const { result, tally } = createClientTally();
 * await runWindowed(w1.open, 1000, send, (r) => tally(r, true));
 * ```
 */
export function createClientTally() {
  const result: RemoteClientResult = { seconds: 0, p50: 0, p99: 0, opened: 0, accepted: 0, rejected: 0, errors: [] };
  const tally = (r: CommandResult, opening: boolean): void => {
    if (r.ok) {
      if (opening) result.opened++;
      else result.accepted++;
    } else if (!opening && r.error.code === 'rejected' && r.error.details?.reason === 'InsufficientFunds') result.rejected++;
    else result.errors.push(`${r.error.code}: ${r.error.message}`);
  };
  return { result, tally };
}
