import type { EventEmitter } from 'node:events';
import type { Registry } from 'prom-client';
import type { FlowRecord } from '../flows/flow-record.ts';
import type { Verdict, VerdictLabel } from '../infer/verdict.ts';
import type { BlockEvidence, BlockOrigin, BlockRecord } from '../enforce/block.ts';

/**
 * What the API server is given by the gateway. The API keeps no state of its own: every route
 * reads or changes the gateway through this interface, and the live stream listens on `events`.
 * `MemoryGatewayServices` (memory-services.ts) is a complete in-memory implementation.
 *
 * Errors: a method that refuses a request throws a `FlowguardError`; the API answers with its
 * `statusCode`, `code` and `message`. Use `blockNotFound` (404) and `blockRejected` (409) from
 * `src/errors/api.ts`, or an enforce-area error with the same statuses.
 */
export interface GatewayServices {
  readonly blocks: BlockService;
  readonly verdicts: VerdictService;
  readonly decisions: DecisionService;
  readonly sources: SourceService;
  stats(): Promise<GatewayStats>;
  health(): Promise<HealthReport>;
  /** Registry served at GET /metrics; the API adds its own `flowguard_api_*` metrics to it. */
  readonly metrics: Registry;
  /** Events for the live stream and the webhooks. */
  readonly events: EventEmitter<GatewayEventMap>;
  /** The policy's mode and guards. Absent where no policy runs, and then its routes return 404. */
  readonly policy?: PolicyService;
}

/** A safety guard that tripped and holds the policy in dry-run. */
export interface TrippedGuard {
  guard: string;
  limit: number;
  value: number;
  /** The /24 or /48 for the per-prefix guard. */
  prefix?: string;
}

export interface PolicyStatus {
  /** True while decisions are only recorded: configured dry-run or a tripped guard. */
  dryRun: boolean;
  configuredDryRun: boolean;
  trippedGuard?: TrippedGuard;
}

export interface PolicyService {
  status(): Promise<PolicyStatus>;
  /** Clears a tripped guard so enforcement resumes with the next decision; a no-op when none tripped. */
  resetGuards(actor: string): Promise<PolicyStatus>;
}

/** One page of a list, newest first. */
export interface Page<T> {
  items: T[];
  /** Items matching the filters across all pages. */
  total: number;
  offset: number;
  limit: number;
}

export interface PageQuery {
  offset: number;
  limit: number;
}

export type BlockState = 'active' | 'expired';

/** Reason a block stopped being active. */
export type BlockEndReason = 'timeout' | 'unblocked';

/** A block with its state; ended blocks stay listed as `expired` for a bounded history. */
export interface BlockEntry extends BlockRecord {
  state: BlockState;
  /** When the block stopped (timeout or unblock), ms since the Unix epoch. */
  endedAtMs?: number;
  endReason?: BlockEndReason;
}

export interface BlockListQuery extends PageQuery {
  family?: 4 | 6;
  origin?: BlockOrigin;
  state?: BlockState;
}

/** A block asked for through the API. `target` is already normalised (see address.ts). */
export interface ManualBlockRequest {
  target: string;
  durationMs: number;
  reason: string;
  /** Audit actor of the request: the operator or client that asked for the block. */
  actor: string;
}

export interface UnblockRequest {
  /** Normalised address or CIDR, exactly as the block's `target`. */
  target: string;
  /** During this time after the unblock the policy will not block the target again; 0 = none. */
  graceMs: number;
  actor: string;
}

export interface BlockService {
  /** Blocks matching every given filter, newest first. */
  list(query: BlockListQuery): Promise<Page<BlockEntry>>;
  /** The active block of exactly this target, else the latest ended one, else undefined. */
  get(target: string): Promise<BlockEntry | undefined>;
  /**
   * Adds a manual block, or extends an active one. Throws a 409 error (`blockRejected`) for an
   * allowlisted or own address, or when the block table is full.
   */
  add(request: ManualBlockRequest): Promise<BlockRecord>;
  /** Removes an active block now. Throws a 404 error (`blockNotFound`) when none is active. */
  remove(request: UnblockRequest): Promise<BlockEntry>;
}

export interface VerdictListQuery extends PageQuery {
  /** Address or CIDR, normalised: matches `Verdict.srcAddr`. */
  source?: string;
  label?: VerdictLabel;
  /** Only verdicts with `scoredAtMs >= sinceMs`. */
  sinceMs?: number;
}

export interface VerdictService {
  /** Verdicts still held in the bounded buffer that match every filter, newest first. */
  list(query: VerdictListQuery): Promise<Page<Verdict>>;
}

/**
 * A flow as the API shows it: the identity and size of a `FlowRecord` without its features.
 * `flowRecordId` is `FlowRecord.id`; packets and bytes count both directions, as in `Verdict`.
 */
export type FlowSummary = Pick<FlowRecord, 'flowId' | 'srcAddr' | 'srcPort' | 'dstAddr' | 'dstPort' | 'protocol' | 'startUs' | 'endUs' | 'exportReason'> &
  Pick<Verdict, 'flowRecordId' | 'packets' | 'bytes'>;

export type DecisionAction = 'block' | 'unblock' | 'expire' | 'skip';

/** One policy or operator decision about a target, as the stream and the webhooks carry it. */
export interface Decision {
  decisionId: string;
  action: DecisionAction;
  target: string;
  origin: BlockOrigin;
  reason: string;
  atMs: number;
  /** Operator or component that made it (`policy`, the audit actor of an API request, …). */
  actor: string;
  /** For `block`: length and end of the block. */
  durationMs?: number;
  expiresAtMs?: number;
  escalationLevel?: number;
  evidence?: BlockEvidence;
  /** For `unblock`: the grace period during which the policy will not block the target again. */
  graceMs?: number;
}

export interface DecisionListQuery extends PageQuery {
  /** Address or CIDR, normalised: matches decisions whose target overlaps it. */
  target?: string;
  action?: DecisionAction;
  /** Only decisions with `atMs >= sinceMs`. */
  sinceMs?: number;
}

export interface DecisionService {
  /** Decisions still held in the bounded buffer that match every filter, newest first. */
  list(query: DecisionListQuery): Promise<Page<Decision>>;
}

/** A safety guard of the policy or enforcer that stopped something (block-rate cap, set full, …). */
export interface GuardTrip {
  guard: string;
  message: string;
  atMs: number;
  target?: string;
}

/** Everything the gateway remembers about one source address. */
export interface SourceReport {
  address: string;
  /** Earlier offences of the source (0 = none); the policy picks longer blocks at higher levels. */
  escalationLevel: number;
  block?: BlockEntry;
  /** Until when the policy will not block this source again after a manual unblock. */
  graceUntilMs?: number;
  /** Most recent first, each list bounded by the implementation. */
  flows: FlowSummary[];
  verdicts: Verdict[];
  decisions: Decision[];
}

export interface SourceService {
  /** Returns undefined when the gateway has no flows, verdicts, decisions or block for the address. */
  describe(address: string): Promise<SourceReport | undefined>;
}

export interface GatewayStats {
  startedAtMs: number;
  uptimeMs: number;
  packets: number;
  bytes: number;
  flows: number;
  verdicts: Record<VerdictLabel, number>;
  activeBlocks: number;
  /** Packets and bytes dropped by each nftables set, keyed by set name. */
  dropsBySet: Record<string, { packets: number; bytes: number }>;
  /** Packets the capture lost (estimated where libpcap gives no counter). */
  captureDrops: number;
  /** Current depth of each bounded queue, keyed by queue name. */
  queueDepths: Record<string, number>;
  /** Entries evicted from bounded tables (flow table, source windows, …), keyed by table name. */
  evictions: Record<string, number>;
}

export type HealthStatus = 'ok' | 'degraded';

export interface HealthReport {
  status: HealthStatus;
  /** One sentence per problem; empty when `ok`. */
  reasons: string[];
}

/** Totals of one second of traffic, emitted once a second while the gateway runs. */
export interface TrafficSample {
  /** End of the second the totals cover, ms since the Unix epoch. */
  atMs: number;
  packets: number;
  bytes: number;
  flows: number;
  attackFlows: number;
  benignFlows: number;
}

export interface GatewayEventMap {
  verdict: [Verdict];
  decision: [Decision];
  traffic: [TrafficSample];
  guard: [GuardTrip];
}
