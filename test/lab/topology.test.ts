import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { down, existingLabNamespaces, LAB_PREFIX, STATE_DIR, up, type LabTopology } from '../../lab/topology.ts';
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
