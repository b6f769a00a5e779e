import { FEATURE_INDEX } from '../flows/columns.ts';
import type { FlowRecord } from '../flows/flow-record.ts';
import type { ModelCard } from './model-card.ts';
import type { Verdict } from './verdict.ts';

const TOTAL_PACKET_FEATURES = [FEATURE_INDEX['Total Fwd Packets'], FEATURE_INDEX['Total Backward Packets']];
const TOTAL_BYTE_FEATURES = [FEATURE_INDEX['Total Length of Fwd Packets'], FEATURE_INDEX['Total Length of Bwd Packets']];

/** Builds the verdict of one flow from its probability, labelled at the card's threshold. */
export function toVerdict(record: FlowRecord, probability: number, card: ModelCard, scoredAtMs: number): Verdict {
  const features = record.features;
  return {
    flowRecordId: record.id,
    flowId: record.flowId,
    ipVersion: record.ipVersion,
    srcAddr: record.srcAddr,
    srcPort: record.srcPort,
    dstAddr: record.dstAddr,
    dstPort: record.dstPort,
    protocol: record.protocol,
    startUs: record.startUs,
    endUs: record.endUs,
    packets: features[TOTAL_PACKET_FEATURES[0]] + features[TOTAL_PACKET_FEATURES[1]],
    bytes: features[TOTAL_BYTE_FEATURES[0]] + features[TOTAL_BYTE_FEATURES[1]],
    probability,
    label: probability >= card.threshold ? 'attack' : 'benign',
    modelVersion: card.modelVersion,
    scoredAtMs,
  };
}
