import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabTopology } from './topology.ts';

/**
 * Every namespace and interface the lab creates is named `fgl<run id>-<role>`. Interfaces are
 * created directly inside lab namespaces (never in the host's namespace), so deleting the lab's
 * namespaces deletes them too.
 */
export const LAB_PREFIX = 'fgl';
export const REPO_ROOT = resolve(fileURLToPath(new URL('../', import.meta.url)));
/** Records of live lab runs, read by `down` and `status`. */
export const STATE_DIR = '/run/flowguard-lab';

export function statePath(runId: string): string {
  return join(STATE_DIR, `${runId}.json`);
}

export interface LabState {
  runId: string;
  namespaces: string[];
  workDir: string;
  /** Process that brought the lab up; `removeStaleRuns` leaves labs of live owners alone. */
  ownerPid: number;
  /** True for a lab meant to outlive its owner (`lab up`). */
  persistent: boolean;
  topology?: LabTopology;
}

export async function writeState(state: LabState): Promise<void> {
  await mkdir(STATE_DIR, { recursive: true });
  await writeFile(statePath(state.runId), JSON.stringify(state, null, 2));
}

/** Reads a run's record, or returns undefined when there is none. */
export async function readState(runId: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(statePath(runId), 'utf8')) as LabState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Lists the run ids of labs that are up (or half-built) according to their state files. */
export async function listRuns(): Promise<string[]> {
  try {
    return (await readdir(STATE_DIR)).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Reads the topology of a lab that is up. */
export async function loadTopology(runId: string): Promise<LabTopology | undefined> {
  return (await readState(runId))?.topology;
}

