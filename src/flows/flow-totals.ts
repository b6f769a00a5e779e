import { FEATURE_INDEX } from './columns.ts';
import type { FlowRecord } from './flow-record.ts';

const FWD_PACKETS = FEATURE_INDEX['Total Fwd Packets'];
const BWD_PACKETS = FEATURE_INDEX['Total Backward Packets'];
const FWD_BYTES = FEATURE_INDEX['Total Length of Fwd Packets'];
const BWD_BYTES = FEATURE_INDEX['Total Length of Bwd Packets'];

/** Packets of a flow, both directions. */
export function flowPacketCount(record: FlowRecord): number {
  return record.features[FWD_PACKETS] + record.features[BWD_PACKETS];
}

/** Transport payload bytes the responder sent (backward direction). */
export function flowBwdPayloadBytes(record: FlowRecord): number {
  return record.features[BWD_BYTES];
}

/** Transport payload bytes of a flow, both directions. */
export function flowPayloadBytes(record: FlowRecord): number {
  return record.features[FWD_BYTES] + record.features[BWD_BYTES];
}
