import { flowBwdPayloadBytes, flowPacketCount, flowPayloadBytes } from '../flows/flow-totals.ts';
import type { FlowRecord } from '../flows/flow-record.ts';
import type { ModelCard } from './model-card.ts';
import type { Verdict } from './verdict.ts';

/** Builds the verdict of one flow from its probability, labelled at the card's threshold. */
export function toVerdict(record: FlowRecord, probability: number, card: ModelCard, scoredAtMs: number): Verdict {
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
    packets: flowPacketCount(record),
    bytes: flowPayloadBytes(record),
    bwdBytes: flowBwdPayloadBytes(record),
    handshakeSeen: record.handshakeSeen,
    probability,
    label: probability >= card.threshold ? 'attack' : 'benign',
    modelVersion: card.modelVersion,
    scoredAtMs,
  };
}
