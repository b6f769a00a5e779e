/**
 * Enforcement throughput against the real nft in a namespace the benchmark creates:
 * 10,000 block changes through the writer queue, and a start-up restore of 50,000 blocks,
 * each with the number of nft processes it spawned. `blockChangesMs` runs from the first
 * `block()` call until all 10,000 resolved: validation, up to one tick of waiting, store write
 * and nft. The `blockBatch*` figures split the one batch that applied them. Needs root, and
 * reports a skip otherwise.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from './run.ts';
import type { BlockRecord } from '../src/enforce/block.ts';
import { BlockStore } from '../src/enforce/block-store.ts';
import { Enforcer } from '../src/enforce/enforcer.ts';
import { canUseNamespaces, TestNetwork } from '../test/helpers/netns.ts';

export const name = 'enforce';

const CHANGES = 10_000;
const RESTORED = 50_000;

function hostAddress(i: number, firstOctet: number): string {
  return `${firstOctet}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

export async function run(options: BenchOptions): Promise<Record<string, number | string>> {
  if (!(await canUseNamespaces())) return { skipped: 'needs root and iproute2 to create a network namespace' };
  const net = new TestNetwork();
  const dirs: string[] = [];
  try {
    const ns = await net.addNamespace('bench');
    const baseOptions = { netns: ns, tickMs: 100, monitor: false, reconcileIntervalMs: 3_600_000, setSize: 262_144 };

    // 10,000 blocks requested at once, then the same 10,000 unblocked.
    const changeDir = await mkdtemp(join(tmpdir(), 'fg-bench-'));
    dirs.push(changeDir);
    const enforcer = new Enforcer({ ...baseOptions, tableName: `fgbench_a${net.suffix}`, stateDir: changeDir });
    await enforcer.start();
    let spawnedBefore = enforcer.backend.processesSpawned;
    let started = performance.now();
    await Promise.all(
      Array.from({ length: CHANGES }, (_, i) =>
        enforcer.block({ target: hostAddress(i, 100), durationMs: 3_600_000, reason: 'bench', origin: 'auto', decisionId: `bench-${i}` }),
      ),
    );
    const blockMs = performance.now() - started;
    const blockProcesses = enforcer.backend.processesSpawned - spawnedBefore;
    const blockBatch = (await enforcer.stats()).batches;
    spawnedBefore = enforcer.backend.processesSpawned;
    started = performance.now();
    await Promise.all(Array.from({ length: CHANGES }, (_, i) => enforcer.unblock(hostAddress(i, 100))));
    const unblockMs = performance.now() - started;
    const unblockProcesses = enforcer.backend.processesSpawned - spawnedBefore;
    options.log(`  ${CHANGES} blocks in ${blockMs.toFixed(0)} ms (${blockProcesses} nft processes), ${CHANGES} unblocks in ${unblockMs.toFixed(0)} ms`);
    await enforcer.close();

    // A store of 50,000 active blocks restored by start(): load, then one nft transaction.
    const restoreDir = await mkdtemp(join(tmpdir(), 'fg-bench-'));
    dirs.push(restoreDir);
    const store = new BlockStore(join(restoreDir, 'enforce'), { compactEntries: RESTORED * 2 });
    await store.load();
    const now = Date.now();
    const records: BlockRecord[] = Array.from({ length: RESTORED }, (_, i) => ({
      target: hostAddress(i, 101),
      durationMs: 3_600_000,
      reason: 'bench',
      origin: 'auto',
      decisionId: `restore-${i}`,
      family: 4,
      kind: 'host',
      createdAtMs: now,
      expiresAtMs: now + 3_600_000,
    }));
    await store.commit(records, []);
    await store.close();
    const restorer = new Enforcer({ ...baseOptions, tableName: `fgbench_b${net.suffix}`, stateDir: restoreDir });
    started = performance.now();
    await restorer.start();
    const restoreMs = performance.now() - started;
    const restoreProcesses = restorer.backend.processesSpawned;
    const elements = (await restorer.stats()).elements.hosts4;
    started = performance.now();
    const counts = await restorer.reconcile();
    const reconcileMs = performance.now() - started;
    if (counts.missing + counts.extra + counts.drift !== 0) throw new Error(`restore left differences: ${JSON.stringify(counts)}`);
    await restorer.close();

    return {
      blockChanges: CHANGES,
      blockChangesMs: Math.round(blockMs),
      blockChangesNftProcesses: blockProcesses,
      blockBatchChanges: blockBatch.lastChanges,
      blockBatchStoreMs: Math.round(blockBatch.lastStoreMs),
      blockBatchNftMs: Math.round(blockBatch.lastNftMs),
      unblockChangesMs: Math.round(unblockMs),
      unblockChangesNftProcesses: unblockProcesses,
      restoredBlocks: elements,
      restoreMs: Math.round(restoreMs),
      restoreNftProcesses: restoreProcesses,
      reconcileAfterRestoreMs: Math.round(reconcileMs),
    };
  } finally {
    await net.destroy();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}
