import type { Verdict } from '../infer/verdict.ts';

/** Summary of one source's window, as the rules see it. */
export interface WindowSummary {
  flows: number;
  attackFlows: number;
  attackRatio: number;
  meanProbability: number;
  /** Mean probability of the attack verdicts only, 0 when there are none. */
  meanAttackProbability: number;
  packets: number;
  attackPackets: number;
  bytes: number;
  windowStartUs: number;
  windowEndUs: number;
}

/**
 * The newest verdicts of one source, bounded by count (a ring of `maxFlows`) and by time
 * (entries ending more than `durationUs` before the newest leave). Verdicts may arrive slightly
 * out of end-time order, so time expiry compares with the newest end seen, not the last one.
 */
export class SourceWindow {
  readonly #startUs: Float64Array;
  readonly #endUs: Float64Array;
  readonly #probability: Float32Array;
  readonly #packets: Float64Array;
  readonly #bytes: Float64Array;
  readonly #attack: Uint8Array;
  readonly #capacity: number;
  readonly #durationUs: number;
  #head = 0;
  #count = 0;
  #newestEndUs = 0;

  constructor(maxFlows: number, durationMs: number) {
    this.#capacity = maxFlows;
    this.#durationUs = durationMs * 1000;
    this.#startUs = new Float64Array(maxFlows);
    this.#endUs = new Float64Array(maxFlows);
    this.#probability = new Float32Array(maxFlows);
    this.#packets = new Float64Array(maxFlows);
    this.#bytes = new Float64Array(maxFlows);
    this.#attack = new Uint8Array(maxFlows);
  }

  get size(): number {
    return this.#count;
  }

  add(verdict: Verdict): void {
    const slot = (this.#head + this.#count) % this.#capacity;
    this.#startUs[slot] = verdict.startUs;
    this.#endUs[slot] = verdict.endUs;
    this.#probability[slot] = verdict.probability;
    this.#packets[slot] = verdict.packets;
    this.#bytes[slot] = verdict.bytes;
    this.#attack[slot] = verdict.label === 'attack' ? 1 : 0;
    if (this.#count < this.#capacity) this.#count++;
    else this.#head = (this.#head + 1) % this.#capacity;
    if (verdict.endUs > this.#newestEndUs) this.#newestEndUs = verdict.endUs;
    this.#expire();
  }

  #expire(): void {
    const oldestAllowedUs = this.#newestEndUs - this.#durationUs;
    while (this.#count > 0 && this.#endUs[this.#head] < oldestAllowedUs) {
      this.#head = (this.#head + 1) % this.#capacity;
      this.#count--;
    }
  }

  summarize(): WindowSummary {
    let attackFlows = 0;
    let probabilitySum = 0;
    let attackProbabilitySum = 0;
    let packets = 0;
    let attackPackets = 0;
    let bytes = 0;
    let windowStartUs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#head + i) % this.#capacity;
      const probability = this.#probability[slot];
      probabilitySum += probability;
      packets += this.#packets[slot];
      bytes += this.#bytes[slot];
      if (this.#attack[slot] === 1) {
        attackFlows++;
        attackProbabilitySum += probability;
        attackPackets += this.#packets[slot];
      }
      if (this.#startUs[slot] < windowStartUs) windowStartUs = this.#startUs[slot];
    }
    const flows = this.#count;
    return {
      flows,
      attackFlows,
      attackRatio: flows === 0 ? 0 : attackFlows / flows,
      meanProbability: flows === 0 ? 0 : probabilitySum / flows,
      meanAttackProbability: attackFlows === 0 ? 0 : attackProbabilitySum / attackFlows,
      packets,
      attackPackets,
      bytes,
      windowStartUs: flows === 0 ? 0 : windowStartUs,
      windowEndUs: this.#newestEndUs,
    };
  }
}
