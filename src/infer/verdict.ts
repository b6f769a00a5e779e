import type { IpVersion } from '../capture/packet.ts';

export type VerdictLabel = 'attack' | 'benign';

/** The model's judgement of one flow, scored over the window that ends with that flow. */
export interface Verdict {
  /** `FlowRecord.id` of the scored flow. */
  flowRecordId: number;
  flowId: string;
  ipVersion: IpVersion;
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  protocol: number;
  startUs: number;
  endUs: number;
  /** Packets and transport payload bytes of the flow, both directions. */
  packets: number;
  bytes: number;
  /** Transport payload bytes the responder sent (backward direction). */
  bwdBytes: number;
  /** True for a TCP flow whose SYN, SYN-ACK and ACK were all seen. */
  handshakeSeen: boolean;
  /** Attack probability from the model, 0–1. */
  probability: number;
  /** Label at the model card's decision threshold. */
  label: VerdictLabel;
  modelVersion: string;
  /** Wall-clock time the verdict was produced, ms since the Unix epoch. */
  scoredAtMs: number;
}
