import { afterAll, describe, expect, it } from 'vitest';
import { startBenign, totalStats } from '../../lab/benign.ts';
import { down, up, type LabTopology } from '../../lab/topology.ts';
import { canRunLab, reportLabSkip } from './lab-env.ts';

reportLabSkip('lab benign traffic');

describe.skipIf(!canRunLab)('lab benign traffic', () => {
  const created: LabTopology[] = [];
  afterAll(async () => {
    for (const topology of created) await down(topology.runId);
  });

  for (const mode of ['router', 'bridge'] as const) {
    it(`every request succeeds without an attack (${mode})`, async () => {
      const topology = await up({ mode });
      created.push(topology);
      const benign = startBenign(topology, { seed: 7, maxDurationMs: 60_000 });
      try {
        await benign.waitForRequests(3, 30_000);
      } finally {
        await benign.stop();
      }
      const stats = benign.stats();
      expect(Object.keys(stats).sort()).toEqual(topology.clients.map((c) => c.name).sort());
      for (const [host, entry] of Object.entries(stats)) {
        expect(entry.final, `${host} printed its final counts`).toBe(true);
        expect(entry.recentErrors, `${host} errors`).toEqual([]);
      }
      const total = totalStats(stats);
      expect(total.failed).toBe(0);
      expect(total.ok).toBe(total.requests);
      expect(total.requests).toBeGreaterThanOrEqual(3 * topology.clients.length);
      // The IPv6 client really used IPv6: its requests reached the target's IPv6 address.
      const ipv6Client = benign.plan.find((entry) => entry.config.targetAddress.includes(':'));
      expect(ipv6Client, 'one client talks IPv6').toBeDefined();
      expect(totalStats({ x: stats[ipv6Client!.host.name] }).ok).toBeGreaterThan(0);
      await down(topology.runId);
    });
  }
});
