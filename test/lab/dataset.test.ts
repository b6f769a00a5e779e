import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLabAddress } from '../../lab/addresses.ts';
import { runScenario, type ScenarioRunResult } from '../../lab/runner.ts';
import { down, up, type LabTopology } from '../../lab/topology.ts';
import type { LabelsFile } from '../../src/dataset/labels.ts';
import { flowguard } from './capture-reading.ts';
import { canRunLab, reportLabSkip } from './lab-env.ts';

reportLabSkip('flowguard dataset on lab captures');

interface Row {
  src: string;
  dst: string;
  startUs: number;
  label: string;
}

/** Reads the identifier columns and the label of a CIC-IDS2017 CSV written by `flowguard dataset`. */
function parseCsv(text: string): Row[] {
  const [header, ...lines] = text.split('\n').filter(Boolean);
  const columns = header.split(',').map((name) => name.trim());
  const srcIndex = columns.indexOf('Source IP');
  const dstIndex = columns.indexOf('Destination IP');
  const timeIndex = columns.indexOf('Timestamp');
  const labelIndex = columns.indexOf('Label');
  return lines.map((line) => {
    const cells = line.split(',');
    const time = cells[timeIndex];
    // ISO 8601 with microseconds: Date keeps milliseconds, the last three digits are added back.
    const micros = Number(/\.\d{3}(\d{3})/.exec(time)?.[1] ?? 0);
    return { src: cells[srcIndex], dst: cells[dstIndex], startUs: Date.parse(time) * 1_000 + micros, label: cells[labelIndex] };
  });
}

/**
 * Works out the label a row must carry from the run itself rather than from the labeller. The
 * attacker's address and forged sources get the attack label. Clients and the gateway (IPv6
 * neighbour discovery) get BENIGN. A flow from the target takes its peer's label.
 */
function expectedLabel(row: Row, topology: LabTopology, labels: LabelsFile, attackLabel: string): string {
  const peer = labels.targetAddresses.includes(row.src) ? row.dst : row.src;
  const clientAddresses = topology.clients.flatMap((client) => [client.ipv4, client.ipv6]);
  const gateway = topology.gateway;
  const infrastructure = [gateway.outsideIpv4, gateway.outsideIpv6, gateway.insideIpv4, gateway.insideIpv6];
  if (clientAddresses.includes(peer) || infrastructure.includes(peer)) return 'BENIGN';
  if (peer === topology.attackers[0].ipv4) return attackLabel;
  if (!isLabAddress(peer)) return attackLabel;
  return `unexpected source ${peer}`;
}

describe.skipIf(!canRunLab)('flowguard dataset on lab captures', () => {
  let topology: LabTopology;
  let outDir: string;
  const runs: Record<string, ScenarioRunResult> = {};
  beforeAll(async () => {
    topology = await up({ mode: 'router' });
    outDir = await mkdtemp(join(tmpdir(), 'flowguard-dataset-test-'));
    for (const scenario of ['hulk', 'syn-flood-spoofed']) {
      runs[scenario] = await runScenario(topology, { scenario, durationS: 3, leadS: 1, tailS: 1, outDir, seed: 5, parameters: { rate: scenario === 'hulk' ? 200 : 1_000 } });
    }
  });
  afterAll(async () => {
    if (topology) await down(topology.runId);
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  for (const [scenario, attackLabel] of [['hulk', 'DoS Hulk'], ['syn-flood-spoofed', 'DoS SYN flood']] as const) {
    for (const mode of ['corrected', 'cic2017'] as const) {
      it(`${scenario} flows get their span's label (${mode})`, async () => {
        const run = runs[scenario];
        const csv = join(outDir, `${scenario}-${mode}.csv`);
        await flowguard(['dataset', '--pcap', run.pcapFile, '--labels', run.labelsFile, '-o', csv, '--mode', mode]);
        const rows = parseCsv(await readFile(csv, 'utf8'));
        const labels = JSON.parse(await readFile(run.labelsFile, 'utf8')) as LabelsFile;

        const mismatches = rows.filter((row) => row.label !== expectedLabel(row, topology, labels, attackLabel));
        expect(mismatches.slice(0, 5), 'rows whose label differs from the expected one').toEqual([]);
        const attackRows = rows.filter((row) => row.label === attackLabel);
        // Each forged source sends one SYN, and cic2017 mode never writes a one-packet flow.
        const minimumAttackRows = scenario === 'syn-flood-spoofed' && mode === 'cic2017' ? 0 : 100;
        expect(attackRows.length, 'attack rows').toBeGreaterThanOrEqual(minimumAttackRows);
        expect(rows.filter((row) => row.label === 'BENIGN').length, 'benign rows').toBeGreaterThan(10);
        // Every attack row starts inside the attack's span.
        const spans = labels.spans.filter((span) => span.label === attackLabel);
        for (const row of attackRows) {
          expect(spans.some((span) => row.startUs >= span.startUs && row.startUs <= span.endUs), `attack row ${JSON.stringify(row)} inside a span`).toBe(true);
        }
      });
    }
  }
});
