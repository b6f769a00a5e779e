import type { Verdict } from '../../src/infer/verdict.ts';

export const T0_US = 1_750_000_000_000_000;

let nextId = 1;

/**
 * Builds one verdict for policy tables. `atMs` is the flow's end relative to T0; the flow lasts
 * `durationMs` (default 1 ms). Probability defaults to 0.95 for attack and 0.05 for benign.
 */
export function verdict(
  srcAddr: string,
  label: 'attack' | 'benign',
  atMs: number,
  extra: Partial<Verdict> & { durationMs?: number } = {},
): Verdict {
  const { durationMs = 1, ...rest } = extra;
  const endUs = T0_US + Math.round(atMs * 1000);
  return {
    flowRecordId: nextId++,
    flowId: `${srcAddr}-198.51.100.10-40000-80-6`,
    ipVersion: srcAddr.includes(':') && !srcAddr.startsWith('::ffff:') ? 6 : 4,
    srcAddr,
    srcPort: 40000,
    dstAddr: '198.51.100.10',
    dstPort: 80,
    protocol: 6,
    startUs: endUs - durationMs * 1000,
    endUs,
    packets: 10,
    bytes: 1000,
    bwdBytes: 0,
    handshakeSeen: false,
    probability: label === 'attack' ? 0.95 : 0.05,
    label,
    modelVersion: 'test-model',
    scoredAtMs: 0,
    ...rest,
  };
}

/** `count` verdicts from one source, `everyMs` apart from `startMs`, labelled by `labelAt`. */
export function series(
  srcAddr: string,
  count: number,
  labelAt: (index: number) => 'attack' | 'benign',
  options: { startMs?: number; everyMs?: number } & Partial<Verdict> = {},
): Verdict[] {
  const { startMs = 0, everyMs = 100, ...extra } = options;
  return Array.from({ length: count }, (_, i) => verdict(srcAddr, labelAt(i), startMs + i * everyMs, extra));
}

export const always = (label: 'attack' | 'benign') => () => label;
