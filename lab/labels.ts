import { BENIGN_LABEL, LABELS_FORMAT, type LabelSpan, type LabelsFile } from '../src/dataset/labels.ts';
import type { BenignPlanEntry } from './benign.ts';
import type { AttackOutcome } from './attack-runner.ts';
import { hostAddresses, type LabTopology } from './topology.ts';

/**
 * How long after an attack tool exits its source still counts as attacking: connections it left
 * open are closed by the server (slow attacks) or time out within this window.
 */
export const ATTACK_TAIL_MS = 5_000;

/** Source block standing for every forged IPv4 source of a spoofed flood. */
export const SPOOFED_IPV4_SOURCES = '0.0.0.0/0';

export interface LabelsInput {
  topology: LabTopology;
  scenario: string;
  seed: number;
  captureStartMs: number;
  captureEndMs: number;
  benign: BenignPlanEntry[];
  attack?: AttackOutcome;
}

/**
 * Builds the labels of one run. Every benign client and the gateway are BENIGN over the whole
 * capture. Each attacker host carries the attack's label from its tool's start to its exit plus
 * `ATTACK_TAIL_MS`. A spoofed flood adds a 0.0.0.0/0 span over the same time, which loses to any
 * host's own span because the more specific source wins.
 */
export function buildLabels(input: LabelsInput): LabelsFile {
  const { topology, attack } = input;
  const startUs = input.captureStartMs * 1_000;
  const endUs = input.captureEndMs * 1_000;
  const spans: LabelSpan[] = [];

  for (const entry of input.benign) {
    for (const source of hostAddresses(entry.host)) {
      spans.push({
        source,
        startUs,
        endUs,
        label: BENIGN_LABEL,
        host: entry.host.name,
        tool: 'lab/agents/benign-client.ts',
        parameters: { description: entry.description, activities: entry.config.activities.map((a) => a.kind) },
      });
    }
  }
  const gateway = topology.gateway;
  for (const source of [gateway.outsideIpv4, gateway.outsideIpv6, gateway.insideIpv4, gateway.insideIpv6]) {
    if (source) spans.push({ source, startUs, endUs, label: BENIGN_LABEL, host: 'gw', tool: 'gateway' });
  }

  if (attack) {
    const parameters = { scenario: attack.scenario, ...attack.parameters };
    for (const host of attack.hosts) {
      spans.push({
        source: host.address,
        startUs: host.startedAtMs * 1_000,
        endUs: (host.endedAtMs + ATTACK_TAIL_MS) * 1_000,
        label: attack.label,
        host: host.host,
        tool: attack.tool,
        parameters: { ...parameters, command: host.command.map((part) => (part.length > 300 ? `${part.slice(0, 300)}…` : part)) },
      });
    }
    if (attack.spoofedSources) {
      spans.push({
        source: SPOOFED_IPV4_SOURCES,
        startUs: attack.startedAtMs * 1_000,
        endUs: (attack.endedAtMs + ATTACK_TAIL_MS) * 1_000,
        label: attack.label,
        host: 'spoofed',
        tool: attack.tool,
        parameters: { ...parameters, spoofedFrom: attack.hosts.map((h) => h.host) },
      });
    }
  }

  return {
    format: LABELS_FORMAT,
    scenario: input.scenario,
    seed: input.seed,
    mode: topology.mode,
    captureStartUs: startUs,
    captureEndUs: endUs,
    targetAddresses: hostAddresses(topology.target),
    spans,
  };
}
