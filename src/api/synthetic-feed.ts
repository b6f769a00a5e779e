import { IPPROTO_TCP } from '../capture/packet.ts';
import type { BlockRecord } from '../enforce/block.ts';
import type { Verdict } from '../infer/verdict.ts';
import type { MemoryGatewayServices } from './memory-services.ts';

export interface SyntheticFeedOptions {
  /** Sources whose flows are SYN-flood-like and scored as attacks. */
  attackers: string[];
  /** Sources whose flows are short web sessions and scored as benign. */
  benignSources: string[];
  /** Address every flow goes to. */
  victim: string;
  /** Share of generated flows that come from attackers, 0–1. */
  attackShare?: number;
  /** Seed of the pseudo-random generator, so runs repeat exactly. */
  seed?: number;
  modelVersion?: string;
}

/**
 * Generates flows and verdicts for the dry-run demo, the dashboard test and the API benchmark.
 * Nothing here is measured traffic: it drives `MemoryGatewayServices` the way a capture replay
 * would, with plausible sizes, so the dashboard and the API see a realistic event mix.
 */
export class SyntheticFeed {
  readonly #services: MemoryGatewayServices;
  readonly #options: Required<SyntheticFeedOptions>;
  #random: () => number;
  #nextFlowId = 1;
  readonly #attackCounts = new Map<string, { flows: number; attacks: number; probabilitySum: number; firstUs: number; lastUs: number }>();

  constructor(services: MemoryGatewayServices, options: SyntheticFeedOptions) {
    this.#services = services;
    this.#options = { attackShare: 0.5, seed: 1, modelVersion: 'synthetic', ...options };
    this.#random = mulberry32(this.#options.seed);
  }

  /** Feeds `count` flows with their packets and verdicts; returns the verdicts. */
  emitFlows(count: number): Verdict[] {
    const verdicts: Verdict[] = [];
    for (let i = 0; i < count; i++) verdicts.push(this.#emitFlow());
    return verdicts;
  }

  /**
   * Blocks every attacker whose attack share crossed `threshold`, the way the policy would, and
   * returns the blocks made (targets in grace or on the allowlist are skipped by the services).
   */
  blockAttackers(durationMs: number, threshold = 0.8): BlockRecord[] {
    const blocks: BlockRecord[] = [];
    for (const [source, counts] of this.#attackCounts) {
      const ratio = counts.attacks / counts.flows;
      if (ratio < threshold) continue;
      const record = this.#services.blockAutomatically({
        target: source,
        durationMs,
        reason: `attack share ${(ratio * 100).toFixed(0)}% over ${counts.flows} flows`,
        evidence: {
          flowsSeen: counts.flows,
          attackFlows: counts.attacks,
          attackRatio: ratio,
          meanProbability: counts.probabilitySum / counts.flows,
          threshold,
          windowStartUs: counts.firstUs,
          windowEndUs: counts.lastUs,
          modelVersion: this.#options.modelVersion,
        },
      });
      if (record) blocks.push(record);
      this.#attackCounts.delete(source);
    }
    return blocks;
  }

  #emitFlow(): Verdict {
    const attack = this.#random() < this.#options.attackShare;
    const pool = attack ? this.#options.attackers : this.#options.benignSources;
    const srcAddr = pool[Math.floor(this.#random() * pool.length)];
    const srcPort = 1024 + Math.floor(this.#random() * 60_000);
    const dstPort = attack ? 80 : this.#random() < 0.7 ? 443 : 80;
    const packets = attack ? 1 + Math.floor(this.#random() * 2) : 8 + Math.floor(this.#random() * 40);
    const bytes = attack ? 0 : 400 + Math.floor(this.#random() * 40_000);
    const wireBytes = bytes + packets * 60;
    const nowMs = Date.now();
    const endUs = nowMs * 1000;
    const startUs = endUs - (attack ? 1_000 : 50_000 + Math.floor(this.#random() * 2_000_000));
    const probability = attack ? 0.85 + this.#random() * 0.15 : this.#random() * 0.2;
    const flowRecordId = this.#nextFlowId++;
    const flowId = `${srcAddr}-${this.#options.victim}-${srcPort}-${dstPort}-${IPPROTO_TCP}`;

    this.#services.recordPackets(packets, wireBytes);
    this.#services.recordFlow({
      flowRecordId, flowId, srcAddr, srcPort, dstAddr: this.#options.victim, dstPort, protocol: IPPROTO_TCP,
      startUs, endUs, exportReason: attack ? 'idle' : 'fin', packets, bytes,
    });
    const verdict: Verdict = {
      flowRecordId, flowId, ipVersion: srcAddr.includes(':') ? 6 : 4, srcAddr, srcPort, dstAddr: this.#options.victim, dstPort,
      protocol: IPPROTO_TCP, startUs, endUs, packets, bytes, bwdBytes: attack ? 0 : bytes, handshakeSeen: !attack, probability, label: probability >= 0.5 ? 'attack' : 'benign',
      modelVersion: this.#options.modelVersion, scoredAtMs: nowMs,
    };
    this.#services.recordVerdict(verdict);

    const counts = this.#attackCounts.get(srcAddr) ?? { flows: 0, attacks: 0, probabilitySum: 0, firstUs: startUs, lastUs: endUs };
    counts.flows++;
    if (verdict.label === 'attack') counts.attacks++;
    counts.probabilitySum += probability;
    counts.lastUs = endUs;
    this.#attackCounts.set(srcAddr, counts);
    return verdict;
  }
}

/** Small seeded pseudo-random generator (mulberry32), uniform on [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
