import { createCsvWriter, type FlowRecordWriter, type FlowSink } from '../flows/index.ts';
import type { FlowRecord } from '../flows/flow-record.ts';
import type { Labeller } from './labels.ts';

export interface LabellingSummary {
  /** Rows written per label. */
  rowsByLabel: Record<string, number>;
  rowsWritten: number;
  /** Flows left out because no span covers their source and start time. */
  flowsWithoutSpan: number;
  /** Flows from the target that took their destination's label. */
  labelledByDestination: number;
}

/**
 * Writes flow records as a CIC-IDS2017 CSV with the `Label` column filled from a labels file.
 * A flow no span covers is left out and counted, since guessing its label would put noise into
 * training data.
 */
export class LabelledFlowWriter {
  readonly #labeller: Labeller;
  readonly #csv: FlowRecordWriter;
  #currentLabel = '';
  readonly #summary: LabellingSummary = { rowsByLabel: {}, rowsWritten: 0, flowsWithoutSpan: 0, labelledByDestination: 0 };

  constructor(labeller: Labeller, sink: FlowSink) {
    this.#labeller = labeller;
    this.#csv = createCsvWriter(sink, { label: () => this.#currentLabel });
  }

  write(record: FlowRecord): void {
    const decision = this.#labeller.decide(record.srcAddr, record.dstAddr, record.startUs);
    if (decision.label === undefined) {
      this.#summary.flowsWithoutSpan++;
      return;
    }
    if (decision.by === 'destination') this.#summary.labelledByDestination++;
    this.#currentLabel = decision.label;
    this.#csv.write(record);
    this.#summary.rowsByLabel[decision.label] = (this.#summary.rowsByLabel[decision.label] ?? 0) + 1;
    this.#summary.rowsWritten++;
  }

  /** Flushes and closes the CSV and returns the counts. */
  close(): LabellingSummary {
    this.#csv.close();
    return structuredClone(this.#summary);
  }
}
