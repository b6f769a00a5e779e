import { parseAddress, prefixOf } from './policy-address.ts';

export type GuardName = 'max-active-blocks' | 'max-new-blocks-per-minute' | 'max-blocks-per-prefix';

export interface GuardOptions {
  maxActiveBlocks: number;
  maxNewBlocksPerMinute: number;
  maxBlocksPerPrefix: number;
  ipv4PrefixLength: number;
  ipv6PrefixLength: number;
}

/** A guard that a block would break: which one, its limit and the value it would reach. */
export interface GuardBreach {
  guard: GuardName;
  limit: number;
  value: number;
  /** The /24 or /48 for max-blocks-per-prefix. */
  prefix?: string;
}

/** A block the policy believes is in force, with its end in flow time. */
export interface ActiveBlock {
  target: string;
  expiresAtMs: number;
}

const MINUTE_MS = 60_000;

/**
 * Limits that keep a misjudging model from blocking everyone: blocks in force, new blocks per
 * minute and blocks inside one /24 (IPv4) or /48 (IPv6). Tracks the blocks it admitted; the
 * enforcement store stays the source of truth and reports manual unblocks through `release`.
 */
export class BlockGuards {
  readonly #options: GuardOptions;
  readonly #active = new Map<string, ActiveBlock>();
  /** Decision times of the last minute, oldest first; never longer than maxNewBlocksPerMinute. */
  readonly #recent: number[] = [];

  constructor(options: GuardOptions) {
    this.#options = options;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  isActive(target: string, nowMs: number): boolean {
    const block = this.#active.get(target);
    return block !== undefined && block.expiresAtMs > nowMs;
  }

  /** Returns the first guard that one more block of `target` at `nowMs` would break. */
  check(target: string, nowMs: number): GuardBreach | undefined {
    this.#expire(nowMs);
    const options = this.#options;
    if (this.#active.size + 1 > options.maxActiveBlocks) {
      return { guard: 'max-active-blocks', limit: options.maxActiveBlocks, value: this.#active.size + 1 };
    }
    while (this.#recent.length > 0 && this.#recent[0] <= nowMs - MINUTE_MS) this.#recent.shift();
    if (this.#recent.length + 1 > options.maxNewBlocksPerMinute) {
      return { guard: 'max-new-blocks-per-minute', limit: options.maxNewBlocksPerMinute, value: this.#recent.length + 1 };
    }
    const prefix = this.#guardPrefixOf(target);
    if (prefix !== undefined) {
      let inPrefix = 1;
      for (const block of this.#active.values()) if (this.#guardPrefixOf(block.target) === prefix) inPrefix++;
      if (inPrefix > options.maxBlocksPerPrefix) return { guard: 'max-blocks-per-prefix', limit: options.maxBlocksPerPrefix, value: inPrefix, prefix };
    }
    return undefined;
  }

  admit(target: string, nowMs: number, durationMs: number): void {
    this.#active.set(target, { target, expiresAtMs: nowMs + durationMs });
    this.#recent.push(nowMs);
    if (this.#recent.length > this.#options.maxNewBlocksPerMinute) this.#recent.shift();
  }

  release(target: string): boolean {
    return this.#active.delete(target);
  }

  activeBlocks(nowMs: number): ActiveBlock[] {
    this.#expire(nowMs);
    return [...this.#active.values()].map((block) => ({ ...block }));
  }

  restore(blocks: readonly ActiveBlock[]): void {
    for (const block of blocks) this.#active.set(block.target, { ...block });
  }

  #expire(nowMs: number): void {
    for (const [target, block] of this.#active) if (block.expiresAtMs <= nowMs) this.#active.delete(target);
  }

  /** The /24 or /48 (by default) that `target` falls in; a wider target prefix is its own group. */
  #guardPrefixOf(target: string): string | undefined {
    const [addressText, lengthText] = target.split('/');
    const address = parseAddress(addressText);
    if (address === undefined) return undefined;
    const guardLength = address.kind() === 'ipv4' ? this.#options.ipv4PrefixLength : this.#options.ipv6PrefixLength;
    const length = lengthText === undefined ? guardLength : Math.min(guardLength, Number(lengthText));
    return prefixOf(address, length);
  }
}
