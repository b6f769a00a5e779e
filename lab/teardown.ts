import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ip, run, waitFor } from './exec.ts';
import { LAB_PREFIX, listRuns, readState, statePath } from './lab-state.ts';

async function namespaceExists(namespace: string): Promise<boolean> {
  return existsSync(join('/run/netns', namespace));
}

async function namespacePids(namespace: string): Promise<number[]> {
  const result = await run('ip', ['netns', 'pids', namespace], { allowFailure: true });
  return result.stdout.split(/\s+/).filter(Boolean).map(Number).filter((pid) => pid > 1);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/**
 * Stops every process inside the lab's namespaces, deletes the namespaces (which deletes their
 * interfaces and nft tables) and removes the work folder. Touches only names recorded for this
 * run that carry the lab prefix. Safe to call twice and on a half-built lab.
 */
export async function down(runId: string): Promise<void> {
  const state = await readState(runId);
  if (!state) return;
  const namespaces = state.namespaces.filter((ns) => ns.startsWith(`${LAB_PREFIX}${runId}-`));
  for (const ns of namespaces) {
    if (!(await namespaceExists(ns))) continue;
    for (const pid of await namespacePids(ns)) signal(pid, 'SIGTERM');
  }
  for (const ns of namespaces) {
    if (!(await namespaceExists(ns))) continue;
    const exited = await waitFor(async () => (await namespacePids(ns)).length === 0, `processes in ${ns} exiting`, 3_000, 100).then(
      () => true,
      () => false,
    );
    if (!exited) for (const pid of await namespacePids(ns)) signal(pid, 'SIGKILL');
    await waitFor(async () => (await namespacePids(ns)).length === 0, `processes in ${ns} exiting after SIGKILL`, 3_000, 100).catch(() => undefined);
    await ip(['netns', 'del', ns], { allowFailure: true });
  }
  if (state.workDir.startsWith('/tmp/flowguard-lab-')) await rm(state.workDir, { recursive: true, force: true });
  await rm(statePath(runId), { force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes labs that no running test uses: those brought up by `lab up` and those whose owner process
 * has exited (left over by a crash or SIGKILL). A lab owned by a running process, such as a
 * test in progress, is kept. Returns the removed and the kept run ids.
 */
export async function removeStaleRuns(): Promise<{ removed: string[]; kept: string[] }> {
  const removed: string[] = [];
  const kept: string[] = [];
  for (const runId of await listRuns()) {
    const state = await readState(runId).catch(() => undefined);
    if (!state) continue;
    if (state.persistent || !processAlive(state.ownerPid)) {
      await down(runId);
      removed.push(runId);
    } else {
      kept.push(runId);
    }
  }
  return { removed, kept };
}

/** Namespaces with the lab prefix that exist right now (for tests that check for leftovers). */
export async function existingLabNamespaces(runId?: string): Promise<string[]> {
  const prefix = runId ? `${LAB_PREFIX}${runId}-` : LAB_PREFIX;
  const entries = existsSync('/run/netns') ? await readdir('/run/netns') : [];
  return entries.filter((name) => name.startsWith(prefix));
}
