import { LRUCache } from 'lru-cache';
import { FEATURE_COUNT, FEATURE_INDEX, type FeatureName } from '../flows/columns.ts';
import type { FlowRecord } from '../flows/flow-record.ts';
import { sourceGroupOf } from '../enforce/policy-address.ts';
import { PROTOCOL_FEATURE, type ModelCard } from './model-card.ts';

/** Values kept per flow: the 78 features, then the protocol number. */
const RAW_ROW_LENGTH = FEATURE_COUNT + 1;
const PROTOCOL_SLOT = FEATURE_COUNT;

export interface WindowBuilderOptions {
  windowLength: number;
  /** Source groups whose history is kept; the least recently seen group is forgotten first. */
  maxSources: number;
}

/** Values stored per flow in a history snapshot: the 78 features, then the protocol number. */
export const HISTORY_ROW_LENGTH = RAW_ROW_LENGTH;

/** The stored flows of the most recently seen source groups, kept across a restart. */
export interface HistorySnapshot {
  windowLength: number;
  /** Source groups, most recently seen first. */
  groups: string[];
  /** Rows stored for each group, in `groups` order. */
  counts: number[];
  /** Rows of every group in turn, each group's oldest first, HISTORY_ROW_LENGTH values per row. */
  rows: Float32Array;
}

/** Outcome of appending one flow: its window was written, or the flow was rejected. */
export type AppendResult = 'ok' | 'non-finite';

/** The last `windowLength` flows of one source group, oldest overwritten first. */
interface SourceHistory {
  /** All 79 values of each stored flow, so a model with another feature list can read them. */
  raw: Float32Array;
  /** The same rows projected to the current card's features, copied into windows as they are. */
  projected: Float32Array;
  /** Card generation `projected` was built for. */
  generation: number;
  /** Rows stored so far, capped at windowLength. */
  count: number;
  /** Slot the next row goes to. */
  next: number;
}

/**
 * Builds the model input for each flow as training defined it: the last `windowLength` flows of
 * the flow's source group in export order, ending with that flow, left-padded with rows equal to
 * `scaler.min` (which the graph scales to exactly 0).
 *
 * Bounds: `maxSources` groups in an LRU; a forgotten group starts again from a padded window,
 * which is what a model sees for a new source, so eviction under a flood of sources only costs
 * history. Rows are also stored raw (all 78 features plus protocol), so a model swapped in with
 * another feature list reads the same histories.
 */
export class WindowBuilder {
  readonly windowLength: number;
  readonly #histories: LRUCache<string, SourceHistory>;
  #featureCount = 0;
  #ipv6PrefixLength = 64;
  #generation = 0;
  /** Slot in the raw row of each model input, in the card's order. */
  #projection = new Int32Array(0);
  #padding = new Float32Array(0);
  readonly #row = new Float32Array(RAW_ROW_LENGTH);

  constructor(card: ModelCard, options: WindowBuilderOptions) {
    this.windowLength = options.windowLength;
    this.#histories = new LRUCache({ max: options.maxSources });
    this.setCard(card);
  }

  /** Model inputs per flow row. */
  get featureCount(): number {
    return this.#featureCount;
  }

  /** Values per window: windowLength × featureCount. */
  get windowSize(): number {
    return this.windowLength * this.#featureCount;
  }

  get sourceCount(): number {
    return this.#histories.size;
  }

  /** Switches to another card's feature order and padding; stored histories are kept. */
  setCard(card: ModelCard): void {
    this.#featureCount = card.featureNames.length;
    this.#ipv6PrefixLength = card.window.ipv6PrefixLength;
    this.#projection = Int32Array.from(card.featureNames, (name) =>
      name === PROTOCOL_FEATURE ? PROTOCOL_SLOT : FEATURE_INDEX[name as FeatureName],
    );
    this.#padding = Float32Array.from(card.scaler.min);
    this.#generation++;
  }

  /** Group a source address falls in: the IPv4 address, or its IPv6 prefix. */
  groupOf(srcAddr: string): string {
    return sourceGroupOf(srcAddr, this.#ipv6PrefixLength) ?? srcAddr;
  }

  /**
   * Appends `record` to its source's history and writes its window into `target` at `offset`.
   * A flow with NaN or ±Infinity in a model input (after the cast to float32) is not stored,
   * because training dropped such rows, and gets 'non-finite'.
   */
  append(record: FlowRecord, target: Float32Array, offset: number): AppendResult {
    const row = this.#row;
    row.set(record.features);
    row[PROTOCOL_SLOT] = record.protocol;
    const projection = this.#projection;
    for (let i = 0; i < projection.length; i++) {
      if (!Number.isFinite(row[projection[i]])) return 'non-finite';
    }

    const history = this.#store(this.groupOf(record.srcAddr), row);
    this.#writeWindow(history, target, offset);
    return 'ok';
  }

  /** Appends one raw row to the history of `key`, creating the history when there is none. */
  #store(key: string, row: Float32Array): SourceHistory {
    const projection = this.#projection;
    let history = this.#histories.get(key);
    if (history === undefined) {
      history = { raw: new Float32Array(RAW_ROW_LENGTH), projected: new Float32Array(this.#featureCount), generation: this.#generation, count: 0, next: 0 };
      this.#histories.set(key, history);
    } else if (history.generation !== this.#generation) {
      this.#reproject(history);
    }
    if (history.count === this.#capacityOf(history) && history.count < this.windowLength) this.#grow(history);

    const slot = history.next;
    history.raw.set(row, slot * RAW_ROW_LENGTH);
    const features = this.#featureCount;
    const projected = history.projected;
    const base = slot * features;
    for (let f = 0; f < features; f++) projected[base + f] = row[projection[f]];
    history.next = (slot + 1) % this.windowLength;
    if (history.count < this.windowLength) history.count++;
    return history;
  }

  /** Copies the histories of the `maxSources` most recently seen groups, each oldest row first. */
  exportHistories(maxSources: number): HistorySnapshot {
    const groups: string[] = [];
    const counts: number[] = [];
    const selected: Float32Array[] = [];
    for (const [key, history] of this.#histories.entries()) {
      if (groups.length >= maxSources) break;
      const rows = this.#rowsOf(history);
      groups.push(key);
      counts.push(rows.length);
      selected.push(...rows);
    }
    const rows = new Float32Array(selected.length * RAW_ROW_LENGTH);
    selected.forEach((row, index) => rows.set(row, index * RAW_ROW_LENGTH));
    return { windowLength: this.windowLength, groups, counts, rows };
  }

  /**
   * Restores histories saved by exportHistories, least recently seen group first so the LRU
   * order survives. A group that already has a history keeps the rows stored since, after the
   * restored ones. Rows with a non-finite model input are skipped, as `append` does. Returns the
   * number of groups restored.
   */
  importHistories(snapshot: HistorySnapshot): number {
    const starts: number[] = [];
    let offset = 0;
    for (const count of snapshot.counts) {
      starts.push(offset);
      offset += count * RAW_ROW_LENGTH;
    }
    if (offset !== snapshot.rows.length || snapshot.counts.length !== snapshot.groups.length) {
      throw new RangeError(`invalid history snapshot: ${snapshot.rows.length} values for ${snapshot.groups.length} groups, expected ${offset}`);
    }
    const projection = this.#projection;
    for (let g = snapshot.groups.length - 1; g >= 0; g--) {
      const key = snapshot.groups[g];
      const newer = this.#histories.peek(key);
      this.#histories.delete(key);
      for (let r = 0; r < snapshot.counts[g]; r++) {
        const base = starts[g] + r * RAW_ROW_LENGTH;
        const row = snapshot.rows.subarray(base, base + RAW_ROW_LENGTH);
        if (projection.every((slot) => Number.isFinite(row[slot]))) this.#store(key, row);
      }
      if (newer !== undefined) {
        for (const row of this.#rowsOf(newer)) this.#store(key, row);
      }
    }
    return snapshot.groups.length;
  }

  /** Raw rows of one history, oldest first. */
  #rowsOf(history: SourceHistory): Float32Array[] {
    const oldest = history.count === this.windowLength ? history.next : 0;
    const rows: Float32Array[] = [];
    for (let r = 0; r < history.count; r++) {
      const base = ((oldest + r) % this.windowLength) * RAW_ROW_LENGTH;
      rows.push(history.raw.slice(base, base + RAW_ROW_LENGTH));
    }
    return rows;
  }

  #capacityOf(history: SourceHistory): number {
    return history.raw.length / RAW_ROW_LENGTH;
  }

  /**
   * Doubles a history's storage, up to windowLength rows. Most sources send a flow or two (all of
   * them, in a spoofed flood), so storage starts at one row. Rows are still in slots 0..count-1
   * here, because the ring only wraps once it has its full size.
   */
  #grow(history: SourceHistory): void {
    const rows = Math.min(this.windowLength, history.count * 2);
    const raw = new Float32Array(rows * RAW_ROW_LENGTH);
    raw.set(history.raw);
    const projected = new Float32Array(rows * this.#featureCount);
    projected.set(history.projected);
    history.raw = raw;
    history.projected = projected;
  }

  #writeWindow(history: SourceHistory, target: Float32Array, offset: number): void {
    const features = this.#featureCount;
    let out = offset;
    for (let r = history.count; r < this.windowLength; r++) {
      target.set(this.#padding, out);
      out += features;
    }
    const projected = history.projected;
    if (history.count < this.windowLength) {
      target.set(projected.subarray(0, history.count * features), out);
      return;
    }
    // Full ring: the oldest row sits at `next`, so copy next..end, then 0..next.
    const split = history.next * features;
    target.set(projected.subarray(split), out);
    target.set(projected.subarray(0, split), out + projected.length - split);
  }

  /**
   * Rebuilds a history's projected rows for the current card, oldest first. Rows holding a
   * non-finite value in one of the new card's inputs are left out, as if never stored.
   */
  #reproject(history: SourceHistory): void {
    const length = this.windowLength;
    const features = this.#featureCount;
    const projection = this.#projection;
    const oldest = history.count === length ? history.next : 0;
    const capacity = this.#capacityOf(history);
    const raw = new Float32Array(capacity * RAW_ROW_LENGTH);
    const projected = new Float32Array(capacity * features);
    let kept = 0;
    for (let r = 0; r < history.count; r++) {
      const rawBase = ((oldest + r) % length) * RAW_ROW_LENGTH;
      let finite = true;
      for (let f = 0; f < features; f++) {
        const value = history.raw[rawBase + projection[f]];
        if (!Number.isFinite(value)) finite = false;
        projected[kept * features + f] = value;
      }
      if (!finite) continue;
      raw.set(history.raw.subarray(rawBase, rawBase + RAW_ROW_LENGTH), kept * RAW_ROW_LENGTH);
      kept++;
    }
    history.raw = raw;
    history.projected = projected;
    history.count = kept;
    history.next = kept % length;
    history.generation = this.#generation;
  }

  /** Forgets every history (for tests and a full reset). */
  clear(): void {
    this.#histories.clear();
  }
}
