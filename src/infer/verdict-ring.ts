import type { Verdict } from './verdict.ts';

/** The last `capacity` verdicts, for the API; the oldest is overwritten when full. */
export class VerdictRing {
  readonly capacity: number;
  readonly #slots: Array<Verdict | undefined>;
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#slots = new Array(capacity).fill(undefined);
  }

  get size(): number {
    return this.#size;
  }

  push(verdict: Verdict): void {
    if (this.capacity === 0) return;
    this.#slots[this.#next] = verdict;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** Up to `limit` verdicts, newest first. */
  list(limit = this.capacity): Verdict[] {
    const count = Math.min(limit, this.#size);
    const out: Verdict[] = [];
    for (let i = 1; i <= count; i++) {
      out.push(this.#slots[(this.#next - i + this.capacity) % this.capacity]!);
    }
    return out;
  }
}
