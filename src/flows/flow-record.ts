import type { IpVersion } from '../capture/packet.ts';

/** Flow-meter semantics; a model card names the one its training data used. */
export type FlowMeterMode = 'cic2017' | 'corrected';

/** Why a flow record was exported. */
export type ExportReason = 'fin' | 'rst' | 'idle' | 'active' | 'flow-timeout' | 'evicted' | 'end-of-input';

/**
 * One exported flow: the 78 CICFlowMeter features plus what a gateway needs beside them.
 * Records are handed to consumers by value and may be kept (the meter does not reuse them).
 */
export interface FlowRecord {
  /** Unique, increasing id of the record within one flow meter. */
  id: number;
  /** CICFlowMeter `Flow ID` string: `addrA-addrB-portA-portB-protocol`. */
  flowId: string;
  mode: FlowMeterMode;
  ipVersion: IpVersion;
  /** Source = the side the flow is oriented from (forward direction). */
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  /** IP protocol number; in cic2017 mode every protocol other than TCP/UDP is 0. */
  protocol: number;
  /** First and last packet times, integer µs since the Unix epoch. */
  startUs: number;
  endUs: number;
  exportReason: ExportReason;
  /** True when SYN, SYN-ACK and ACK of the TCP handshake were all seen. */
  handshakeSeen: boolean;
  /** ICMP/ICMPv6 type and code of the flow's first packet, -1 for other protocols. */
  icmpType: number;
  icmpCode: number;
  /** Feature values in `FEATURE_NAMES` order (78 values). */
  features: Float64Array;
}
