import { writeFileSync } from 'node:fs';

import { FEATURE_INDEX, FEATURE_NAMES, GENERATED_LABELLED_FLOWS_HEADERS, type FeatureName } from '../../src/flows/columns.ts';

/** One source of a synthetic scenario: its address, label and how many flows it exports. */
export interface SyntheticSource {
  address: string;
  label: string;
  flows: number;
}

/** Deterministic PRNG (mulberry32) so a synthetic corpus is the same on every run. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function flowFeatures(attack: boolean, random: () => number): Float64Array {
  const features = new Float64Array(FEATURE_NAMES.length);
  const set = (name: FeatureName, value: number): void => {
    features[FEATURE_INDEX[name]] = value;
  };
  // Attack flows look like SYN-flood leftovers: one or two packets, no payload, microseconds long.
  const forwardPackets = attack ? 1 + Math.floor(random() * 2) : 3 + Math.floor(random() * 20);
  const backwardPackets = attack ? Math.floor(random() * 2) : 2 + Math.floor(random() * 30);
  const durationUs = attack ? Math.floor(random() * 50) : 10_000 + Math.floor(random() * 5_000_000);
  const forwardBytes = attack ? 0 : forwardPackets * (40 + Math.floor(random() * 400));
  const backwardBytes = attack ? 0 : backwardPackets * (200 + Math.floor(random() * 1200));
  const seconds = Math.max(durationUs, 1) / 1e6;
  set('Destination Port', 80);
  set('Flow Duration', durationUs);
  set('Total Fwd Packets', forwardPackets);
  set('Total Backward Packets', backwardPackets);
  set('Total Length of Fwd Packets', forwardBytes);
  set('Total Length of Bwd Packets', backwardBytes);
  set('Flow Bytes/s', (forwardBytes + backwardBytes) / seconds);
  set('Flow Packets/s', (forwardPackets + backwardPackets) / seconds);
  set('Flow IAT Mean', durationUs / Math.max(forwardPackets + backwardPackets - 1, 1));
  set('Fwd Header Length', forwardPackets * 20);
  set('Bwd Header Length', backwardPackets * 20);
  set('Fwd Packets/s', forwardPackets / seconds);
  set('Bwd Packets/s', backwardPackets / seconds);
  set('SYN Flag Count', attack ? forwardPackets : 1);
  set('ACK Flag Count', attack ? backwardPackets : forwardPackets + backwardPackets - 1);
  set('Down/Up Ratio', backwardPackets / forwardPackets);
  set('Init_Win_bytes_forward', attack ? 512 : 64_240);
  set('Init_Win_bytes_backward', backwardPackets > 0 ? 65_160 : 0);
  set('min_seg_size_forward', 20);
  set('Fwd Header Length.1', forwardPackets * 20);
  return features;
}

/**
 * Write a labelled flow CSV in the GeneratedLabelledFlows layout that `flowguard dataset` writes.
 * Sources take turns in random order, so each source's flows interleave with the others'.
 * Subflow columns stay 0, as the corrected flow meter writes them for flows without pauses.
 */
export function writeSyntheticFlows(path: string, sources: SyntheticSource[], seed: number): number {
  const random = createRandom(seed);
  const remaining = sources.map((source) => source.flows);
  const lines = [GENERATED_LABELLED_FLOWS_HEADERS.join(',')];
  let timeUs = Date.UTC(2026, 0, 1) * 1000;
  while (remaining.some((count) => count > 0)) {
    const candidates = remaining.flatMap((count, index) => (count > 0 ? [index] : []));
    const index = candidates[Math.floor(random() * candidates.length)]!;
    remaining[index]! -= 1;
    const source = sources[index]!;
    const attack = source.label !== 'BENIGN';
    const features = flowFeatures(attack, random);
    const sourcePort = 1024 + Math.floor(random() * 60_000);
    timeUs += 1000 + Math.floor(random() * 100_000);
    const timestamp = new Date(timeUs / 1000).toISOString();
    const identifiers = [`${source.address}-10.9.0.2-${sourcePort}-80-6`, source.address, sourcePort, '10.9.0.2', 80, 6, timestamp];
    lines.push([...identifiers, ...Array.from(features.slice(1)), source.label].join(','));
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return lines.length - 1;
}
