import { LRUCache } from 'lru-cache';

export interface EscalationOptions {
  durationMs: number;
  maxDurationMs: number;
  multipliers: readonly number[];
  jitterRatio: number;
  decayAfterMs: number;
  maxHistory: number;
}

/** One offender's record: the level its next block starts from and when it was last blocked. */
export interface OffenceRecord {
  target: string;
  level: number;
  lastBlockMs: number;
}

/**
 * Block durations for repeat offenders: offence n lasts `durationMs × multipliers[n]` (the last
 * multiplier repeats), capped at `maxDurationMs`, with ± `jitterRatio` random spread so blocks
 * decided together do not all expire in the same second. Every quiet `decayAfterMs` since the
 * last block lowers the level by one. Bound: `maxHistory` offenders, least recently blocked
 * forgotten first (a forgotten offender starts again at level 0).
 */
export class Escalation {
  readonly #options: EscalationOptions;
  readonly #random: () => number;
  readonly #history: LRUCache<string, OffenceRecord>;

  constructor(options: EscalationOptions, random: () => number) {
    this.#options = options;
    this.#random = random;
    this.#history = new LRUCache({ max: options.maxHistory });
  }

  /** Level the next block of `target` would get at `nowMs`, after decay. */
  levelAt(target: string, nowMs: number): number {
    const record = this.#history.peek(target);
    if (record === undefined) return 0;
    const quietPeriods = Math.floor(Math.max(0, nowMs - record.lastBlockMs) / this.#options.decayAfterMs);
    return Math.max(0, record.level - quietPeriods);
  }

  /** Duration for a block at `level`, jitter included. */
  durationFor(level: number): number {
    const { durationMs, maxDurationMs, multipliers, jitterRatio } = this.#options;
    const multiplier = multipliers[Math.min(level, multipliers.length - 1)];
    const base = Math.min(durationMs * multiplier, maxDurationMs);
    const jittered = base * (1 + jitterRatio * (2 * this.#random() - 1));
    return Math.round(Math.min(jittered, maxDurationMs));
  }

  /** Records a block of `target` at `level`; its next block starts one level higher. */
  record(target: string, level: number, nowMs: number): void {
    this.#history.set(target, { target, level: level + 1, lastBlockMs: nowMs });
  }

  entries(): OffenceRecord[] {
    return [...this.#history.values()].map((record) => ({ ...record }));
  }

  restore(records: readonly OffenceRecord[]): void {
    // entries() lists the most recent first; restore oldest first so recency survives.
    for (const record of [...records].reverse()) this.#history.set(record.target, { ...record });
  }
}
