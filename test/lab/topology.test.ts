import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { down, existingLabNamespaces, LAB_PREFIX, REPO_ROOT, STATE_DIR, up, type LabTopology } from '../../lab/topology.ts';
import { canRunLab, reportLabSkip } from './lab-env.ts';

reportLabSkip('lab topology');

/** Names carrying this run's prefix that remain anywhere the lab could have left them. */
async function leftovers(runId: string): Promise<string[]> {
  const prefix = `${LAB_PREFIX}${runId}`;
  const found: string[] = [...(await existingLabNamespaces(runId))];
  const links = await execa('ip', ['-o', 'link', 'show'], { reject: false });
  found.push(...String(links.stdout).split('\n').filter((line) => line.includes(prefix)));
  const tables = await execa('nft', ['list', 'tables'], { reject: false });
  found.push(...String(tables.stdout).split('\n').filter((line) => line.includes(prefix)));
  if (existsSync(`${STATE_DIR}/${runId}.json`)) found.push(`${STATE_DIR}/${runId}.json`);
  if (existsSync(`/tmp/flowguard-lab-${runId}`)) found.push(`/tmp/flowguard-lab-${runId}`);
  return found;
}

describe.skipIf(!canRunLab)('lab topology', () => {
  const created: LabTopology[] = [];
  afterAll(async () => {
    for (const topology of created) await down(topology.runId);
  });

  for (const mode of ['router', 'bridge'] as const) {
    it(`${mode} mode comes up and goes down cleanly twice`, async () => {
      for (let round = 0; round < 2; round++) {
        const topology = await up({ mode });
        created.push(topology);
        expect(await existingLabNamespaces(topology.runId)).toHaveLength(topology.namespaces.length);
        expect(topology.namespaces.every((ns) => ns.startsWith(`${LAB_PREFIX}${topology.runId}-`))).toBe(true);

        await down(topology.runId);
        expect(await leftovers(topology.runId)).toEqual([]);
        // A second teardown finds nothing and does nothing.
        await down(topology.runId);
        expect(await leftovers(topology.runId)).toEqual([]);
      }
    });
  }

  it('creates no interface in the host namespace', async () => {
    const topology = await up({ clientCount: 1, attackerCount: 1 });
    created.push(topology);
    const links = await execa('ip', ['-o', 'link', 'show']);
    expect(String(links.stdout)).not.toContain(`${LAB_PREFIX}${topology.runId}`);
    await down(topology.runId);
  });

  it('gives no lab namespace a default route except the target blackhole', async () => {
    const topology = await up({ clientCount: 1, attackerCount: 1 });
    created.push(topology);
    for (const ns of topology.namespaces) {
      for (const family of ['-4', '-6']) {
        const routes = await execa('ip', ['-n', ns, family, 'route', 'show', 'default']);
        const lines = String(routes.stdout).split('\n').map((line) => line.trim()).filter(Boolean);
        if (ns === topology.target.namespace) {
          expect(lines, `${ns} ${family}`).toHaveLength(1);
          expect(lines[0]).toMatch(/^blackhole default\b/);
        } else {
          expect(lines, `${ns} ${family}`).toEqual([]);
        }
      }
    }
    await down(topology.runId);
  });
});

describe.skipIf(!canRunLab)('lab command line', () => {
  it('tears the lab down on SIGTERM', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'flowguard-lab-cli-'));
    const child = execa(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'lab/cli.ts'), 'run', 'benign', '--duration', '60', '--out', outDir], {
      cwd: REPO_ROOT,
      reject: false,
      timeout: 90_000,
    });
    let runId: string | undefined;
    child.stderr?.on('data', (chunk: Buffer) => {
      runId ??= /"runId":"([0-9a-f]{4})"/.exec(chunk.toString())?.[1];
    });
    try {
      // Wait until the capture has started, so teardown has processes and namespaces to remove.
      const deadline = Date.now() + 60_000;
      while (!(runId && existsSync(join(outDir, 'benign.pcap'))) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(runId, 'run id logged').toBeDefined();
      expect((await existingLabNamespaces(runId)).length).toBeGreaterThan(0);

      child.kill('SIGTERM');
      const result = await child;
      expect(result.exitCode).toBe(130);
      expect(await leftovers(runId!)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      if (runId) await down(runId);
      await rm(outDir, { recursive: true, force: true });
    }
  });
});
