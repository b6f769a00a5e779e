import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../lab/runner.ts';
import { isLabAddress } from '../../lab/addresses.ts';
import { findScenario, SCENARIOS, type ScenarioDefinition } from '../../lab/scenarios.ts';
import { down, up, type LabTopology } from '../../lab/topology.ts';
import { packetStats, readPackets, type PacketLine } from './capture-reading.ts';
import { canRunLab, reportLabSkip } from './lab-env.ts';

reportLabSkip('lab attack scenarios');

const ATTACK_DURATION_S = 3;

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const SYN = 0x02;
const PSH = 0x08;
const ICMP_ECHO_REQUEST = 8;

type Check = (packet: PacketLine) => boolean;
const toHttp: Check = (p) => p.protocol === TCP && p.dstPort === 80;
const syn: Check = (p) => toHttp(p) && ((p.tcpFlags ?? 0) & SYN) !== 0;

/** The packets each scenario must show from its attacker to the target, and a minimum count. */
const EXPECTED: Record<string, { check: Check; minimum: number; protocol: string; spoofed?: boolean }> = {
  hulk: { check: syn, minimum: 100, protocol: 'tcp' },
  goldeneye: { check: (p) => toHttp(p) && ((p.tcpFlags ?? 0) & PSH) !== 0 && (p.payloadLength ?? 0) > 0, minimum: 200, protocol: 'tcp' },
  slowloris: { check: syn, minimum: 50, protocol: 'tcp' },
  'slowhttptest-headers': { check: syn, minimum: 50, protocol: 'tcp' },
  'slowhttptest-body': { check: syn, minimum: 50, protocol: 'tcp' },
  'slowhttptest-read': { check: syn, minimum: 20, protocol: 'tcp' },
  'syn-flood': { check: (p) => toHttp(p) && p.tcpFlags === SYN, minimum: 2_000, protocol: 'tcp' },
  'syn-flood-spoofed': { check: (p) => toHttp(p) && p.tcpFlags === SYN, minimum: 2_000, protocol: 'tcp', spoofed: true },
  'udp-flood': { check: (p) => p.protocol === UDP && p.dstPort === 53, minimum: 2_000, protocol: 'udp' },
  'icmp-flood': { check: (p) => p.protocol === ICMP && p.icmpType === ICMP_ECHO_REQUEST, minimum: 2_000, protocol: 'icmp' },
};

function countFrom(packets: PacketLine[], source: (src: string) => boolean, check: Check = () => true): number {
  let count = 0;
  for (const packet of packets) if (packet.src !== undefined && source(packet.src) && check(packet)) count++;
  return count;
}

/** Runs one scenario on a lab that is up and checks its capture, counters and labels. */
async function checkScenario(topology: LabTopology, scenario: ScenarioDefinition, outDir: string): Promise<void> {
  const expected = EXPECTED[scenario.name];
  const result = await runScenario(topology, { scenario: scenario.name, durationS: ATTACK_DURATION_S, leadS: 1, tailS: 1, outDir, seed: 3 });
  const attacker = topology.attackers[0];
  const target = topology.target.ipv4;

  const stats = await packetStats(result.pcapFile);
  expect(stats.packetsSkipped).toBe(0);
  expect(stats.packetsRead).toBe(result.capture.packetsCaptured);
  expect(stats.protocols[expected.protocol]).toBeGreaterThanOrEqual(expected.minimum);

  const packets = await readPackets(result.pcapFile);
  const fromAttacker = expected.spoofed ? (src: string) => !isLabAddress(src) : (src: string) => src === attacker.ipv4;
  const attackPackets = countFrom(packets, fromAttacker, (p) => p.dst === target && expected.check(p));
  expect(attackPackets, `${scenario.name} packets in the capture`).toBeGreaterThanOrEqual(expected.minimum);
  // No other attacker sent anything, and a spoofing attacker never used its own address.
  for (const other of topology.attackers.slice(1)) {
    expect(countFrom(packets, (src) => src === other.ipv4), `${other.name} stayed quiet`).toBe(0);
  }
  if (expected.spoofed) expect(countFrom(packets, (src) => src === attacker.ipv4)).toBe(0);
  // Benign clients were active during the run, the IPv6 one over IPv6.
  for (const client of topology.clients) {
    const addresses = new Set([client.ipv4, client.ipv6]);
    expect(countFrom(packets, (src) => addresses.has(src), (p) => p.dst === target || p.dst === topology.target.ipv6), `${client.name} traffic`).toBeGreaterThan(0);
  }
  // The target's own counters saw the attack arrive.
  const counter = expected.spoofed ? result.targetCounts.other : result.targetCounts[attacker.name];
  expect(counter.packets).toBeGreaterThanOrEqual(expected.minimum);

  const labels = JSON.parse(await readFile(result.labelsFile, 'utf8'));
  const attackSpan = labels.spans.find((span: { host: string }) => span.host === (expected.spoofed ? 'spoofed' : attacker.name));
  expect(attackSpan.label).toBe(scenario.label);
  expect(attackSpan.tool).toBe(scenario.tool);
  expect(attackSpan.parameters.durationS).toBe(ATTACK_DURATION_S);
}

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
    it(`${scenario.name} sends its traffic from the attacker`, () => checkScenario(topology, scenario, outDir));
  }
});

describe.skipIf(!canRunLab)('lab attack scenarios in bridge mode', () => {
  let topology: LabTopology;
  let outDir: string;
  beforeAll(async () => {
    topology = await up({ mode: 'bridge' });
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-lab-test-'));
  });
  afterAll(async () => {
    if (topology) await down(topology.runId);
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  for (const name of ['syn-flood-spoofed', 'goldeneye']) {
    it(`${name} crosses the bridge`, () => checkScenario(topology, findScenario(name), outDir));
  }
});
