import { assertLabAddress } from '../addresses.ts';
import { nsRun } from '../exec.ts';
import type { LabHost, LabTopology } from '../topology.ts';

/**
 * One HTTP GET from an outside host to the target's front page, bounded to `timeoutS`. True when
 * the target answered 200; false when it did not (dropped, refused or timed out).
 */
export async function httpReachable(topology: LabTopology, host: LabHost, timeoutS = 2): Promise<boolean> {
  assertLabAddress(topology.target.ipv4, 'reachability probe');
  const result = await nsRun(
    host.namespace,
    'curl',
    ['-s', '-o', '/dev/null', '-m', String(timeoutS), '-w', '%{http_code}', `http://${topology.target.ipv4}:${topology.target.httpPort}/`],
    { allowFailure: true, timeoutMs: (timeoutS + 5) * 1_000 },
  );
  return result.exitCode === 0 && result.stdout.trim() === '200';
}
