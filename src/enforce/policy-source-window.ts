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
  /**
   * Packets of the attack verdicts the packet-volume rule counts: all but those of transfers to
   * the source, flows whose responder sent at least TRANSFER_RATIO times the source's payload.
   */
  volumeAttackPackets: number;
  /**
   * Attack verdicts of established TCP connections: handshake seen, or payload from the responder
   * (a connection the gateway picked up mid-stream, after a restart). Floods of forged or
   * unanswered segments have neither.
   */
  establishedAttackFlows: number;
  bytes: number;
  windowStartUs: number;
  windowEndUs: number;
}

/**
 * Responder-to-source payload ratio from which a flow is a transfer to the source (a download).
 * A flood is what a source sends. Echo replies match their requests and unanswered floods get
 * no payload back, so both stay far below this ratio.
 */
export const TRANSFER_RATIO = 20;

/** Values kept per verdict, packed in one array: start, end, probability, packets, bytes, attack, established, transfer. */
const STRIDE = 8;
const START = 0;
const END = 1;
const PROBABILITY = 2;
const PACKETS = 3;
const BYTES = 4;
const ATTACK = 5;
const ESTABLISHED = 6;
const TRANSFER = 7;
const TCP = 6;

/**
 * The newest verdicts of one source, bounded by count (a ring of `maxFlows`) and by time
 * (entries ending more than `durationUs` before the newest leave). Verdicts may arrive slightly
 * out of end-time order, so time expiry compares with the newest end seen, not the last one.
 * Storage starts at two entries and doubles up to `maxFlows`, because most sources (every one of
 * a spoofed flood) send a flow or two.
 */
export class SourceWindow {
  #entries: Float64Array;
  readonly #maxFlows: number;
  readonly #durationUs: number;
  #head = 0;
  #count = 0;
  #newestEndUs = 0;

  constructor(maxFlows: number, durationMs: number) {
    this.#maxFlows = maxFlows;
    this.#durationUs = durationMs * 1000;
    this.#entries = new Float64Array(Math.min(2, maxFlows) * STRIDE);
  }

  get size(): number {
    return this.#count;
  }

  add(verdict: Verdict): void {
    let capacity = this.#entries.length / STRIDE;
    if (this.#count === capacity && capacity < this.#maxFlows) {
      this.#grow(Math.min(this.#maxFlows, capacity * 2));
      capacity = this.#entries.length / STRIDE;
    }
    const base = ((this.#head + this.#count) % capacity) * STRIDE;
    const entries = this.#entries;
    entries[base + START] = verdict.startUs;
    entries[base + END] = verdict.endUs;
    entries[base + PROBABILITY] = verdict.probability;
    entries[base + PACKETS] = verdict.packets;
    entries[base + BYTES] = verdict.bytes;
    entries[base + ATTACK] = verdict.label === 'attack' ? 1 : 0;
    entries[base + ESTABLISHED] = verdict.protocol === TCP && (verdict.handshakeSeen || verdict.bwdBytes > 0) ? 1 : 0;
    const fwdBytes = verdict.bytes - verdict.bwdBytes;
    entries[base + TRANSFER] = verdict.bwdBytes > 0 && verdict.bwdBytes >= TRANSFER_RATIO * fwdBytes ? 1 : 0;
    if (this.#count < capacity) this.#count++;
    else this.#head = (this.#head + 1) % capacity;
    if (verdict.endUs > this.#newestEndUs) this.#newestEndUs = verdict.endUs;
    this.#expire();
  }

  /** Moves the entries, oldest first, into storage for `capacity` entries. */
  #grow(capacity: number): void {
    const grown = new Float64Array(capacity * STRIDE);
    const oldCapacity = this.#entries.length / STRIDE;
    for (let i = 0; i < this.#count; i++) {
      const from = ((this.#head + i) % oldCapacity) * STRIDE;
      grown.set(this.#entries.subarray(from, from + STRIDE), i * STRIDE);
    }
    this.#entries = grown;
    this.#head = 0;
  }

  #expire(): void {
    const capacity = this.#entries.length / STRIDE;
    const oldestAllowedUs = this.#newestEndUs - this.#durationUs;
    while (this.#count > 0 && this.#entries[this.#head * STRIDE + END] < oldestAllowedUs) {
      this.#head = (this.#head + 1) % capacity;
      this.#count--;
    }
  }

  summarize(): WindowSummary {
    const entries = this.#entries;
    const capacity = entries.length / STRIDE;
    let attackFlows = 0;
    let probabilitySum = 0;
    let attackProbabilitySum = 0;
    let packets = 0;
    let attackPackets = 0;
    let establishedAttackFlows = 0;
    let volumeAttackPackets = 0;
    let bytes = 0;
    let windowStartUs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#count; i++) {
      const base = ((this.#head + i) % capacity) * STRIDE;
      const probability = entries[base + PROBABILITY];
      probabilitySum += probability;
      packets += entries[base + PACKETS];
      bytes += entries[base + BYTES];
      if (entries[base + ATTACK] === 1) {
        attackFlows++;
        attackProbabilitySum += probability;
        attackPackets += entries[base + PACKETS];
        establishedAttackFlows += entries[base + ESTABLISHED];
        if (entries[base + TRANSFER] === 0) volumeAttackPackets += entries[base + PACKETS];
      }
      if (entries[base + START] < windowStartUs) windowStartUs = entries[base + START];
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
      establishedAttackFlows,
      volumeAttackPackets,
      bytes,
      windowStartUs: flows === 0 ? 0 : windowStartUs,
      windowEndUs: this.#newestEndUs,
    };
  }
}
