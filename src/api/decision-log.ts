import { parseTarget, targetsOverlap, type ParsedTarget } from './address.ts';
import type { Decision, DecisionListQuery, Page } from './services.ts';

/**
 * Ring of the most recent decisions of every target, read by GET /decisions. It lists what a
 * dry-run policy would have blocked, and the decisions made before a dashboard page opened.
 */
export class DecisionLog {
  readonly #ring: (Decision | undefined)[];
  #next = 0;
  #count = 0;

  constructor(size: number) {
    this.#ring = new Array<Decision | undefined>(size);
  }

  add(decision: Decision): void {
    this.#ring[this.#next] = decision;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#count < this.#ring.length) this.#count++;
  }

  /** Returns the decisions that match every filter, newest first. `target` matches overlapping targets. */
  list(query: DecisionListQuery): Page<Decision> {
    const filter = query.target === undefined ? undefined : parseTarget('target', query.target);
    const size = this.#ring.length;
    const matches: Decision[] = [];
    for (let i = 1; i <= this.#count; i++) {
      const decision = this.#ring[(this.#next - i + size) % size]!;
      if (query.sinceMs !== undefined && decision.atMs < query.sinceMs) continue;
      if (query.action !== undefined && decision.action !== query.action) continue;
      if (filter && !overlaps(filter, decision.target)) continue;
      matches.push(decision);
    }
    return { items: matches.slice(query.offset, query.offset + query.limit), total: matches.length, offset: query.offset, limit: query.limit };
  }
}

function overlaps(filter: ParsedTarget, target: string): boolean {
  try {
    return targetsOverlap(filter, parseTarget('target', target));
  } catch {
    // Every recorded target was parsed when it was decided, so this only guards against a bad record.
    return false;
  }
}
