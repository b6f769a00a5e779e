import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, whatever the working directory of the test run. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

/**
 * Folder of the public captures and CICFlowMeter CSVs. It sits beside the repository and is
 * read-only; FLOWGUARD_SHARED_DATA points elsewhere. Suites that need it skip when it is absent.
 */
export const SHARED_DATA = process.env.FLOWGUARD_SHARED_DATA ?? resolve(REPO_ROOT, '..', 'shared', 'data');

export const hasSharedData = existsSync(join(SHARED_DATA, 'pcaps'));

/** Message for `describe.skipIf(!hasSharedData)` suites, printed once so a skip is never silent. */
export function reportMissingSharedData(suite: string): void {
  if (!hasSharedData) {
    process.stderr.write(`${suite}: skipped because the shared captures are missing at ${SHARED_DATA}\n`);
  }
}

export function sharedPath(...parts: string[]): string {
  return join(SHARED_DATA, ...parts);
}

/** Lists the capture files of one shared folder (`attacks`, `benign` or `edge`), sorted. */
export async function listCaptures(folder: 'attacks' | 'benign' | 'edge'): Promise<string[]> {
  const dir = join(SHARED_DATA, 'pcaps', folder);
  return (await readdir(dir)).filter((name) => /\.(pcap|pcapng)$/.test(name)).sort().map((name) => join(dir, name));
}
