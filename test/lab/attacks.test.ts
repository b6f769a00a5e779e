import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../lab/runner.ts';
import { SCENARIOS } from '../../lab/scenarios.ts';
import { down, up, type LabTopology } from '../../lab/topology.ts';
import { canRunLab, reportLabSkip } from './lab-env.ts';

reportLabSkip('lab attack scenarios');

const ATTACK_DURATION_S = 3;

/** Packets in a capture that match a tcpdump filter expression. */
async function countPackets(pcap: string, filter: string): Promise<number> {
  const result = await execa('tcpdump', ['-nr', pcap, filter], { maxBuffer: 512 * 1024 * 1024 });
  return String(result.stdout).split('\n').filter(Boolean).length;
}

/** The traffic each scenario must show, as a tcpdump filter on the attacker's packets, and a minimum. */
const EXPECTED: Record<string, { filter: string; minimum: number; spoofed?: boolean }> = {
  hulk: { filter: 'tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0', minimum: 100 },
  goldeneye: { filter: 'tcp dst port 80 and (tcp[tcpflags] & tcp-push != 0)', minimum: 200 },
  slowloris: { filter: 'tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0', minimum: 50 },
  'slowhttptest-headers': { filter: 'tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0', minimum: 50 },
  'slowhttptest-body': { filter: 'tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0', minimum: 50 },
  'slowhttptest-read': { filter: 'tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0', minimum: 20 },
  'syn-flood': { filter: 'tcp dst port 80 and tcp[tcpflags] == tcp-syn', minimum: 2_000 },
  'syn-flood-spoofed': { filter: 'tcp dst port 80 and tcp[tcpflags] == tcp-syn', minimum: 2_000, spoofed: true },
  'udp-flood': { filter: 'udp dst port 53', minimum: 2_000 },
  'icmp-flood': { filter: 'icmp[icmptype] == icmp-echo', minimum: 2_000 },
};

describe.skipIf(!canRunLab)('lab attack scenarios', () => {
  let topology: LabTopology;
  let outDir: string;
  beforeAll(async () => {
    topology = await up({ mode: 'router' });
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-lab-test-'));
  });
  afterAll(async () => {
    if (topology) await down(topology.runId);
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('covers every scenario', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
  });

  for (const scenario of SCENARIOS) {
    it(`${scenario.name} sends its traffic from the attacker`, async () => {
      const expected = EXPECTED[scenario.name];
      const result = await runScenario(topology, { scenario: scenario.name, durationS: ATTACK_DURATION_S, leadS: 1, tailS: 1, outDir, seed: 3 });
      const attacker = topology.attackers[0];
      const target = topology.target.ipv4;

      const source = expected.spoofed ? `not src net 10.231.0.0/16` : `src host ${attacker.ipv4}`;
      const attackPackets = await countPackets(result.pcapFile, `${source} and dst host ${target} and ${expected.filter}`);
      expect(attackPackets, `${scenario.name} packets in the capture`).toBeGreaterThanOrEqual(expected.minimum);
      // No other attacker sent anything.
      for (const other of topology.attackers.slice(1)) {
        expect(await countPackets(result.pcapFile, `src host ${other.ipv4}`), `${other.name} stayed quiet`).toBe(0);
      }
      if (expected.spoofed) expect(await countPackets(result.pcapFile, `src host ${attacker.ipv4}`)).toBe(0);
      // Benign clients were active during the run.
      for (const client of topology.clients.slice(0, 3)) {
        expect(await countPackets(result.pcapFile, `src host ${client.ipv4}`), `${client.name} traffic`).toBeGreaterThan(0);
      }
      // The target's own counters saw the attack arrive.
      const counter = expected.spoofed ? result.targetCounts.other : result.targetCounts[attacker.name];
      expect(counter.packets).toBeGreaterThanOrEqual(expected.minimum);

      const labels = JSON.parse(await readFile(result.labelsFile, 'utf8'));
      const attackSpan = labels.spans.find((span: { host: string }) => span.host === (expected.spoofed ? 'spoofed' : attacker.name));
      expect(attackSpan.label).toBe(scenario.label);
      expect(attackSpan.tool).toBe(scenario.tool);
      expect(attackSpan.parameters.durationS).toBe(ATTACK_DURATION_S);
    });
  }
});
