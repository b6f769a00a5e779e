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

/** Outcome of appending one flow: its window was written, or the flow was rejected. */
export type AppendResult = 'ok' | 'non-finite';

/** The last `windowLength` raw rows of one source group, oldest overwritten first. */
interface SourceHistory {
  rows: Float32Array;
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
 * history. Rows are stored raw (all 78 features plus protocol), so a model swapped in with
 * another feature list reads the same histories.
 */
export class WindowBuilder {
  readonly windowLength: number;
  readonly #histories: LRUCache<string, SourceHistory>;
  #featureCount = 0;
  #ipv6PrefixLength = 64;
  /** Slot in the raw row of each model input, in the card's order. */
  #projection = new Int32Array(0);
  #padding = new Float32Array(0);
  #row = new Float32Array(RAW_ROW_LENGTH);

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
  }

  /** Group a source address falls in: the IPv4 address, or its IPv6 prefix. */
  groupOf(srcAddr: string): string {
    return sourceGroupOf(srcAddr, this.#ipv6PrefixLength) ?? srcAddr;
  }

  /**
   * Appends `record` to its source's history and writes its window into `target` at `offset`.
   * A flow with NaN or ±Infinity in a model input is not stored (training dropped such rows,
   * so later windows stay as training saw them) and gets 'non-finite'; so does a window whose
   * older rows hold non-finite values under the current feature list.
   */
  append(record: FlowRecord, target: Float32Array, offset: number): AppendResult {
    const row = this.#row;
    row.set(record.features);
    row[PROTOCOL_SLOT] = record.protocol;
    const projection = this.#projection;
    for (let i = 0; i < projection.length; i++) {
      if (!Number.isFinite(row[projection[i]])) return 'non-finite';
    }

    const key = this.groupOf(record.srcAddr);
    let history = this.#histories.get(key);
    if (history === undefined) {
      history = { rows: new Float32Array(this.windowLength * RAW_ROW_LENGTH), count: 0, next: 0 };
      this.#histories.set(key, history);
    }
    history.rows.set(row, history.next * RAW_ROW_LENGTH);
    history.next = (history.next + 1) % this.windowLength;
    if (history.count < this.windowLength) history.count++;

    return this.#writeWindow(history, target, offset);
  }

  #writeWindow(history: SourceHistory, target: Float32Array, offset: number): AppendResult {
    const features = this.#featureCount;
    const paddingRows = this.windowLength - history.count;
    let out = offset;
    for (let r = 0; r < paddingRows; r++) {
      target.set(this.#padding, out);
      out += features;
    }
    // The oldest stored row sits at `next` once the ring is full, at slot 0 before that.
    let slot = history.count === this.windowLength ? history.next : 0;
    const rows = history.rows;
    const projection = this.#projection;
    let finite = true;
    for (let r = 0; r < history.count; r++) {
      const base = slot * RAW_ROW_LENGTH;
      for (let f = 0; f < features; f++) {
        const value = rows[base + projection[f]];
        if (!Number.isFinite(value)) finite = false;
        target[out++] = value;
      }
      slot = (slot + 1) % this.windowLength;
    }
    return finite ? 'ok' : 'non-finite';
  }

  /** Forgets every history (for tests and a full reset). */
  clear(): void {
    this.#histories.clear();
  }
}
