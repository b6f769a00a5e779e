/**
 * Token bucket shared by an attack tool's workers: `take()` resolves when one more request fits
 * under the rate. A rate of 0 never waits.
 */
export class RateLimiter {
  readonly #ratePerSecond: number;
  #nextSlotMs = 0;

  constructor(ratePerSecond: number) {
    this.#ratePerSecond = ratePerSecond;
  }

  async take(): Promise<void> {
    if (this.#ratePerSecond <= 0) return;
    const now = Date.now();
    const slot = Math.max(now, this.#nextSlotMs);
    this.#nextSlotMs = slot + 1_000 / this.#ratePerSecond;
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  }
}
