/** A flood from many sources that each sent one flow judged attack: the mark of spoofed sources. */
export interface SpoofedFloodReport {
  /** Single-flow attack sources within the detection period. */
  sources: number;
  windowStartUs: number;
  windowEndUs: number;
  /** Destinations those flows went to, most frequent first (at most five). */
  topDestinations: Array<{ address: string; flows: number }>;
  /** A few of the sources, for the operator's eye. */
  sampleSources: string[];
}

/**
 * Counts attack verdicts that were the first flow of their source within `windowMs`. Per-source
 * blocking cannot stop a flood whose every packet carries a new forged source, so when
 * `minSources` such sources appear the detector reports a flood for the operator (and the policy
 * stops blocking single-flow sources one by one) instead. The report ends once the count falls
 * below half of `minSources`.
 *
 * Bound: a ring of `2 × minSources` entries. Once it is full the count is already past the
 * trigger, so overwriting the oldest loses nothing the decision needs.
 */
export class SpoofedFloodDetector {
  readonly #windowUs: number;
  readonly #minSources: number;
  readonly #capacity: number;
  readonly #timesUs: Float64Array;
  readonly #sources: string[];
  readonly #destinations: string[];
  #head = 0;
  #count = 0;
  #active = false;

  constructor(options: { windowMs: number; minSources: number }) {
    this.#windowUs = options.windowMs * 1000;
    this.#minSources = options.minSources;
    this.#capacity = options.minSources * 2;
    this.#timesUs = new Float64Array(this.#capacity);
    this.#sources = new Array(this.#capacity).fill('');
    this.#destinations = new Array(this.#capacity).fill('');
  }

  get active(): boolean {
    return this.#active;
  }

  /** Notes a single-flow attack source; returns a report when the flood starts. */
  addSingleFlowAttack(source: string, destination: string, endUs: number): SpoofedFloodReport | undefined {
    const slot = (this.#head + this.#count) % this.#capacity;
    this.#timesUs[slot] = endUs;
    this.#sources[slot] = source;
    this.#destinations[slot] = destination;
    if (this.#count < this.#capacity) this.#count++;
    else this.#head = (this.#head + 1) % this.#capacity;
    this.#expire(endUs);
    if (!this.#active && this.#count >= this.#minSources) {
      this.#active = true;
      return this.#report(endUs);
    }
    return undefined;
  }

  /** Advances time; returns true when an active flood has just ended. */
  advance(nowUs: number): boolean {
    this.#expire(nowUs);
    if (this.#active && this.#count < this.#minSources / 2) {
      this.#active = false;
      return true;
    }
    return false;
  }

  #expire(nowUs: number): void {
    while (this.#count > 0 && this.#timesUs[this.#head] < nowUs - this.#windowUs) {
      this.#head = (this.#head + 1) % this.#capacity;
      this.#count--;
    }
  }

  #report(nowUs: number): SpoofedFloodReport {
    const perDestination = new Map<string, number>();
    const sampleSources: string[] = [];
    let windowStartUs = nowUs;
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#head + i) % this.#capacity;
      perDestination.set(this.#destinations[slot], (perDestination.get(this.#destinations[slot]) ?? 0) + 1);
      if (sampleSources.length < 5) sampleSources.push(this.#sources[slot]);
      if (this.#timesUs[slot] < windowStartUs) windowStartUs = this.#timesUs[slot];
    }
    const topDestinations = [...perDestination.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([address, flows]) => ({ address, flows }));
    return { sources: this.#count, windowStartUs, windowEndUs: nowUs, topDestinations, sampleSources };
  }
}
