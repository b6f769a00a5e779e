/** Who asked for a block. `kernel-ratelimit` entries come from the optional in-kernel SYN-rate trap. */
export type BlockOrigin = 'auto' | 'manual' | 'kernel-ratelimit';

/** Why the policy decided to block a source, recorded with every automatic decision. */
export interface BlockEvidence {
  flowsSeen: number;
  attackFlows: number;
  attackRatio: number;
  meanProbability: number;
  threshold: number;
  /** Time span of the verdicts the decision looked at, µs since the Unix epoch. */
  windowStartUs: number;
  windowEndUs: number;
  modelVersion: string;
  packets?: number;
  bytes?: number;
}

/** A request to block one address (host) or one prefix (CIDR). */
export interface BlockRequest {
  /** Normalised address (`192.0.2.7`, `2001:db8::1`) or CIDR (`192.0.2.0/24`). */
  target: string;
  durationMs: number;
  reason: string;
  origin: BlockOrigin;
  /** Unique id of the decision; stored in the nftables element comment. */
  decisionId: string;
  evidence?: BlockEvidence;
  /** Escalation level that produced the duration (0 = first offence). */
  escalationLevel?: number;
}

/** A block as the store keeps it. */
export interface BlockRecord extends BlockRequest {
  family: 4 | 6;
  kind: 'host' | 'prefix';
  createdAtMs: number;
  expiresAtMs: number;
}
