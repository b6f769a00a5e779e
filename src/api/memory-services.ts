import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Registry } from 'prom-client';
import { Component } from '../lifecycle.ts';
import { blockNotFound, blockRejected } from '../errors/api.ts';
import type { BlockEvidence, BlockOrigin, BlockRecord } from '../enforce/block.ts';
import type { Verdict } from '../infer/verdict.ts';
import { parseTarget, targetContains, targetsOverlap, type ParsedTarget } from './address.ts';
import { registerStatsMetrics } from './stats-metrics.ts';
import type {
  DecisionService,
  BlockEntry,
  BlockListQuery,
  BlockService,
  Decision,
  FlowSummary,
  GatewayEventMap,
  GatewayServices,
  GatewayStats,
  GuardTrip,
  HealthReport,
  ManualBlockRequest,
  Page,
  SourceReport,
  SourceService,
  TrafficSample,
  UnblockRequest,
  VerdictListQuery,
  VerdictService,
} from './services.ts';
import { DecisionLog } from './decision-log.ts';

export interface MemoryServicesOptions {
  /** Clock in ms since the Unix epoch; tests pass a controllable one. */
  now?: () => number;
  /** Addresses and prefixes that are never blocked. */
  allowlist?: string[];
  /** The gateway's own addresses; loopback and unspecified addresses are always own. */
  ownAddresses?: string[];
  /** Active blocks at most; further blocks are rejected (409, `table-full`). */
  maxBlocks?: number;
  /** Ended blocks kept for GET /blocks?state=expired; the oldest is dropped first. */
  blockHistorySize?: number;
  /** Verdicts kept for GET /verdicts; the oldest is overwritten first. */
  verdictBufferSize?: number;
  /** Decisions kept for GET /decisions; the oldest is overwritten first. */
  decisionBufferSize?: number;
  /** Sources with a history; the least recently used is evicted and counted. */
  maxSources?: number;
  /** Flows, verdicts and decisions kept per source; the oldest is dropped first. */
  perSourceHistory?: number;
  /** Interval of the 'traffic' event. */
  trafficIntervalMs?: number;
}

interface SourceHistory {
  flows: FlowSummary[];
  verdicts: Verdict[];
  decisions: Decision[];
  escalationLevel: number;
}

const ALWAYS_OWN = ['127.0.0.0/8', '::1', '0.0.0.0', '::'];

/**
 * A complete GatewayServices held in memory: the dry-run backing store of the API. Blocks change
 * only this store, never the kernel. Pipeline stages (or a test driver) feed it through the
 * `record*` methods and `blockAutomatically`. It keeps bounded histories and emits the live
 * events, plus one 'traffic' sample per interval while running.
 */
export class MemoryGatewayServices extends Component implements GatewayServices {
  readonly metrics = new Registry();
  readonly events = new EventEmitter<GatewayEventMap>();
  readonly blocks: BlockService;
  readonly verdicts: VerdictService;
  readonly decisions: DecisionService;
  readonly sources: SourceService;

  readonly #now: () => number;
  readonly #allowlist: ParsedTarget[];
  readonly #own: ParsedTarget[];
  readonly #maxBlocks: number;
  readonly #blockHistorySize: number;
  readonly #perSourceHistory: number;
  readonly #trafficIntervalMs: number;
  readonly #startedAtMs: number;

  /** Active blocks by target, in insertion order (oldest first). */
  readonly #active = new Map<string, BlockEntry>();
  /** Ended blocks, oldest first, at most `blockHistorySize`. */
  readonly #ended: BlockEntry[] = [];
  /** Until when each target may not be blocked again by the policy after a manual unblock. */
  readonly #graceUntil = new Map<string, number>();
  readonly #verdictRing: (Verdict | undefined)[];
  #verdictNext = 0;
  #verdictCount = 0;
  readonly #sources: LRUCache<string, SourceHistory>;
  readonly #decisionLog: DecisionLog;

  readonly #totals = { packets: 0, bytes: 0, flows: 0, attack: 0, benign: 0, captureDrops: 0 };
  readonly #second = { packets: 0, bytes: 0, flows: 0, attack: 0, benign: 0 };
  readonly #dropsBySet: Record<string, { packets: number; bytes: number }> = {};
  readonly #queueDepths: Record<string, number> = {};
  readonly #evictions: Record<string, number> = { sources: 0 };
  readonly #healthProblems = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: MemoryServicesOptions = {}) {
    super('memory-services');
    this.#now = options.now ?? Date.now;
    this.#allowlist = (options.allowlist ?? []).map((text) => parseTarget('allowlist', text));
    this.#own = [...ALWAYS_OWN, ...(options.ownAddresses ?? [])].map((text) => parseTarget('ownAddresses', text));
    this.#maxBlocks = options.maxBlocks ?? 10_000;
    this.#blockHistorySize = options.blockHistorySize ?? 1_000;
    this.#perSourceHistory = options.perSourceHistory ?? 20;
    this.#trafficIntervalMs = options.trafficIntervalMs ?? 1_000;
    this.#verdictRing = new Array<Verdict | undefined>(options.verdictBufferSize ?? 10_000);
    this.#decisionLog = new DecisionLog(options.decisionBufferSize ?? 1_000);
    this.#sources = new LRUCache<string, SourceHistory>({
      max: options.maxSources ?? 10_000,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.#evictions.sources++;
      },
    });
    this.#startedAtMs = this.#now();
    // Many dashboards and webhook dispatchers may listen at once.
    this.events.setMaxListeners(0);

    this.blocks = {
      list: async (query) => this.#listBlocks(query),
      get: async (target) => this.#getBlock(target),
      add: async (request) => this.#addManualBlock(request),
      remove: async (request) => this.#removeBlock(request),
    };
    this.verdicts = { list: async (query) => this.#listVerdicts(query) };
    this.decisions = { list: async (query) => this.#decisionLog.list(query) };
    this.sources = { describe: async (address) => this.#describeSource(address) };
    registerStatsMetrics(this.metrics, () => this.stats());
  }

  protected async onStart(): Promise<void> {
    this.#timer = setInterval(() => {
      this.sweep();
      this.flushTraffic();
    }, this.#trafficIntervalMs);
    this.#timer.unref();
  }

  protected async onClose(): Promise<void> {
    clearInterval(this.#timer);
  }

  protected async onDestroy(): Promise<void> {
    clearInterval(this.#timer);
  }

  // ---- Inputs from the pipeline (or a test driver) ----

  /** Counts captured packets and their wire bytes. */
  recordPackets(packets: number, bytes: number): void {
    this.#totals.packets += packets;
    this.#totals.bytes += bytes;
    this.#second.packets += packets;
    this.#second.bytes += bytes;
  }

  recordFlow(flow: FlowSummary): void {
    this.#totals.flows++;
    this.#second.flows++;
    pushBounded(this.#history(flow.srcAddr).flows, flow, this.#perSourceHistory);
  }

  recordVerdict(verdict: Verdict): void {
    this.#verdictRing[this.#verdictNext] = verdict;
    this.#verdictNext = (this.#verdictNext + 1) % this.#verdictRing.length;
    this.#verdictCount = Math.min(this.#verdictCount + 1, this.#verdictRing.length);
    this.#totals[verdict.label]++;
    this.#second[verdict.label === 'attack' ? 'attack' : 'benign']++;
    pushBounded(this.#history(verdict.srcAddr).verdicts, verdict, this.#perSourceHistory);
    this.events.emit('verdict', verdict);
  }

  recordCaptureDrops(packets: number): void {
    this.#totals.captureDrops += packets;
  }

  recordDrops(set: string, packets: number, bytes: number): void {
    const drops = (this.#dropsBySet[set] ??= { packets: 0, bytes: 0 });
    drops.packets += packets;
    drops.bytes += bytes;
  }

  setQueueDepth(queue: string, depth: number): void {
    this.#queueDepths[queue] = depth;
  }

  recordEvictions(table: string, count: number): void {
    this.#evictions[table] = (this.#evictions[table] ?? 0) + count;
  }

  /** Marks health degraded for `reason`, or clears the problem `name` when `reason` is undefined. */
  setHealthProblem(name: string, reason: string | undefined): void {
    if (reason === undefined) this.#healthProblems.delete(name);
    else this.#healthProblems.set(name, reason);
  }

  /**
   * Applies a policy decision to block a target. Returns undefined, after emitting a `skip`
   * decision, when the target is allowlisted, own, inside its grace period or the table is full.
   */
  blockAutomatically(request: { target: string; durationMs: number; reason: string; evidence?: BlockEvidence; origin?: BlockOrigin }): BlockRecord | undefined {
    const parsed = parseTarget('target', request.target);
    this.sweep();
    const nowMs = this.#now();
    const origin = request.origin ?? 'auto';
    const skip = (reason: string): undefined => {
      this.#decide({ decisionId: randomUUID(), action: 'skip', target: parsed.target, origin, reason, atMs: nowMs, actor: 'policy' });
      return undefined;
    };
    const graceUntilMs = this.#graceUntil.get(parsed.target);
    if (graceUntilMs !== undefined && graceUntilMs > nowMs) return skip(`in grace period after a manual unblock until ${new Date(graceUntilMs).toISOString()}`);
    const rejection = this.#rejection(parsed);
    if (rejection) {
      if (rejection.reason === 'table-full') this.tripGuard('block-table-full', rejection.detail, parsed.target);
      return skip(rejection.detail);
    }
    const history = this.#history(parsed.target);
    // Extending a block that is still active is the same offence: the level stays.
    const active = this.#active.get(parsed.target);
    const record = this.#insert(parsed, {
      durationMs: request.durationMs,
      reason: request.reason,
      origin,
      evidence: request.evidence,
      escalationLevel: active?.escalationLevel ?? history.escalationLevel,
      actor: 'policy',
    });
    if (!active) history.escalationLevel++;
    return record;
  }

  tripGuard(guard: string, message: string, target?: string): void {
    const trip: GuardTrip = { guard, message, atMs: this.#now(), ...(target === undefined ? {} : { target }) };
    this.events.emit('guard', trip);
  }

  /** Ends every block whose time is up and emits an `expire` decision for each. */
  sweep(): void {
    const nowMs = this.#now();
    for (const [target, entry] of this.#active) {
      if (entry.expiresAtMs > nowMs) continue;
      this.#active.delete(target);
      this.#end(entry, entry.expiresAtMs, 'timeout');
      this.#decide({
        decisionId: entry.decisionId,
        action: 'expire',
        target,
        origin: entry.origin,
        reason: 'block time is up',
        atMs: nowMs,
        actor: 'policy',
      });
    }
    for (const [target, untilMs] of this.#graceUntil) if (untilMs <= nowMs) this.#graceUntil.delete(target);
  }

  /** Emits the totals counted since the previous sample and starts a new one. */
  flushTraffic(): TrafficSample {
    const sample: TrafficSample = {
      atMs: this.#now(),
      packets: this.#second.packets,
      bytes: this.#second.bytes,
      flows: this.#second.flows,
      attackFlows: this.#second.attack,
      benignFlows: this.#second.benign,
    };
    Object.assign(this.#second, { packets: 0, bytes: 0, flows: 0, attack: 0, benign: 0 });
    this.events.emit('traffic', sample);
    return sample;
  }

  // ---- GatewayServices ----

  async stats(): Promise<GatewayStats> {
    this.sweep();
    const nowMs = this.#now();
    return {
      startedAtMs: this.#startedAtMs,
      uptimeMs: nowMs - this.#startedAtMs,
      packets: this.#totals.packets,
      bytes: this.#totals.bytes,
      flows: this.#totals.flows,
      verdicts: { attack: this.#totals.attack, benign: this.#totals.benign },
      activeBlocks: this.#active.size,
      dropsBySet: structuredClone(this.#dropsBySet),
      captureDrops: this.#totals.captureDrops,
      queueDepths: { ...this.#queueDepths, verdictBuffer: this.#verdictCount },
      evictions: { ...this.#evictions },
    };
  }

  async health(): Promise<HealthReport> {
    const reasons = [...this.#healthProblems.values()];
    if (this.state !== 'running') reasons.push(`memory services are ${this.state}, so no traffic samples are emitted`);
    return { status: reasons.length === 0 ? 'ok' : 'degraded', reasons };
  }

  // ---- Blocks ----

  #listBlocks(query: BlockListQuery): Page<BlockEntry> {
    this.sweep();
    const matches: BlockEntry[] = [];
    const consider = (entry: BlockEntry): void => {
      if (query.family !== undefined && entry.family !== query.family) return;
      if (query.origin !== undefined && entry.origin !== query.origin) return;
      if (query.state !== undefined && entry.state !== query.state) return;
      matches.push(entry);
    };
    // Newest first: active blocks are newer than ended ones except for rare extensions.
    const active = [...this.#active.values()];
    for (let i = active.length - 1; i >= 0; i--) consider(active[i]);
    for (let i = this.#ended.length - 1; i >= 0; i--) consider(this.#ended[i]);
    return { items: matches.slice(query.offset, query.offset + query.limit), total: matches.length, offset: query.offset, limit: query.limit };
  }

  #getBlock(target: string): BlockEntry | undefined {
    this.sweep();
    const active = this.#active.get(target);
    if (active) return active;
    for (let i = this.#ended.length - 1; i >= 0; i--) if (this.#ended[i].target === target) return this.#ended[i];
    return undefined;
  }

  #addManualBlock(request: ManualBlockRequest): BlockRecord {
    this.sweep();
    const parsed = parseTarget('address', request.target);
    const rejection = this.#rejection(parsed);
    if (rejection) throw blockRejected(parsed.target, rejection.reason, rejection.detail);
    // An operator's block overrides an earlier unblock's grace period.
    this.#graceUntil.delete(parsed.target);
    return this.#insert(parsed, {
      durationMs: request.durationMs,
      reason: request.reason,
      origin: 'manual',
      escalationLevel: this.#sources.peek(parsed.target)?.escalationLevel ?? 0,
      actor: request.actor,
    });
  }

  #removeBlock(request: UnblockRequest): BlockEntry {
    this.sweep();
    const entry = this.#active.get(request.target);
    if (!entry) throw blockNotFound(request.target);
    const nowMs = this.#now();
    this.#active.delete(request.target);
    const ended = this.#end(entry, nowMs, 'unblocked');
    if (request.graceMs > 0) this.#graceUntil.set(request.target, nowMs + request.graceMs);
    this.#decide({
      decisionId: randomUUID(),
      action: 'unblock',
      target: request.target,
      origin: entry.origin,
      reason: 'unblocked by hand',
      atMs: nowMs,
      actor: request.actor,
      graceMs: request.graceMs,
    });
    return ended;
  }

  /**
   * Throws FG_ERR_API_BLOCK_REJECTED when `target` overlaps the allowlist or an own address, so a
   * service with another block table rejects the same targets with the same error.
   */
  assertBlockable(target: string): void {
    const parsed = parseTarget('address', target);
    const rejection = this.#rejection(parsed);
    if (rejection && rejection.reason !== 'table-full') throw blockRejected(parsed.target, rejection.reason, rejection.detail);
  }

  /** Reason and explanation why `parsed` may not be blocked, or undefined when it may. */
  #rejection(parsed: ParsedTarget): { reason: 'allowlisted' | 'own-address' | 'table-full'; detail: string } | undefined {
    const allowed = this.#allowlist.find((entry) => targetsOverlap(entry, parsed));
    if (allowed) return { reason: 'allowlisted', detail: `it overlaps the allowlist entry ${allowed.target}; remove that entry first if the block is intended` };
    const own = this.#own.find((entry) => targetsOverlap(entry, parsed));
    if (own) return { reason: 'own-address', detail: `it covers the gateway's own or loopback address ${own.target}, and blocking it would cut the gateway off` };
    if (!this.#active.has(parsed.target) && this.#active.size >= this.#maxBlocks) {
      return { reason: 'table-full', detail: `the block table is full (${this.#maxBlocks} active blocks); unblock some or raise maxBlocks` };
    }
    return undefined;
  }

  /** Adds or extends an active block; an extension never shortens the block. */
  #insert(
    parsed: ParsedTarget,
    fields: { durationMs: number; reason: string; origin: BlockOrigin; evidence?: BlockEvidence; escalationLevel: number; actor: string },
  ): BlockRecord {
    const nowMs = this.#now();
    const previous = this.#active.get(parsed.target);
    const expiresAtMs = Math.max(nowMs + fields.durationMs, previous?.expiresAtMs ?? 0);
    const entry: BlockEntry = {
      target: parsed.target,
      durationMs: expiresAtMs - nowMs,
      reason: fields.reason,
      origin: fields.origin,
      decisionId: randomUUID(),
      ...(fields.evidence ? { evidence: fields.evidence } : {}),
      escalationLevel: fields.escalationLevel,
      family: parsed.family,
      kind: parsed.kind,
      createdAtMs: nowMs,
      expiresAtMs,
      state: 'active',
    };
    this.#active.delete(parsed.target);
    this.#active.set(parsed.target, entry);
    this.#decide({
      decisionId: entry.decisionId,
      action: 'block',
      target: entry.target,
      origin: entry.origin,
      reason: entry.reason,
      atMs: nowMs,
      actor: fields.actor,
      durationMs: entry.durationMs,
      expiresAtMs,
      escalationLevel: entry.escalationLevel,
      ...(entry.evidence ? { evidence: entry.evidence } : {}),
    });
    const { state: _state, ...record } = entry;
    return record;
  }

  #end(entry: BlockEntry, endedAtMs: number, endReason: 'timeout' | 'unblocked'): BlockEntry {
    const ended: BlockEntry = { ...entry, state: 'expired', endedAtMs, endReason };
    pushBounded(this.#ended, ended, this.#blockHistorySize);
    return ended;
  }

  #decide(decision: Decision): void {
    pushBounded(this.#history(decision.target).decisions, decision, this.#perSourceHistory);
    this.#decisionLog.add(decision);
    this.events.emit('decision', decision);
  }

  #history(key: string): SourceHistory {
    let history = this.#sources.get(key);
    if (!history) {
      history = { flows: [], verdicts: [], decisions: [], escalationLevel: 0 };
      this.#sources.set(key, history);
    }
    return history;
  }

  // ---- Verdicts and sources ----

  #listVerdicts(query: VerdictListQuery): Page<Verdict> {
    const source = query.source === undefined ? undefined : parseTarget('source', query.source);
    const size = this.#verdictRing.length;
    const matches: Verdict[] = [];
    for (let i = 1; i <= this.#verdictCount; i++) {
      const verdict = this.#verdictRing[(this.#verdictNext - i + size) % size]!;
      if (query.sinceMs !== undefined && verdict.scoredAtMs < query.sinceMs) continue;
      if (query.label !== undefined && verdict.label !== query.label) continue;
      if (source && !(source.kind === 'host' ? verdict.srcAddr === source.target : targetContains(source, verdict.srcAddr))) continue;
      matches.push(verdict);
    }
    return { items: matches.slice(query.offset, query.offset + query.limit), total: matches.length, offset: query.offset, limit: query.limit };
  }

  #describeSource(address: string): SourceReport | undefined {
    this.sweep();
    const history = this.#sources.peek(address);
    const block = this.#coveringBlock(address);
    if (!history && !block) return undefined;
    const graceUntilMs = this.#graceUntil.get(address);
    return {
      address,
      escalationLevel: history?.escalationLevel ?? 0,
      ...(block ? { block } : {}),
      ...(graceUntilMs === undefined ? {} : { graceUntilMs }),
      flows: [...(history?.flows ?? [])].reverse(),
      verdicts: [...(history?.verdicts ?? [])].reverse(),
      decisions: [...(history?.decisions ?? [])].reverse(),
    };
  }

  /** The active block of the address itself, else of a prefix that contains it. */
  #coveringBlock(address: string): BlockEntry | undefined {
    const exact = this.#active.get(address);
    if (exact) return exact;
    for (const entry of this.#active.values()) {
      if (entry.kind === 'prefix' && targetContains(parseTarget('target', entry.target), address)) return entry;
    }
    return undefined;
  }
}

/** Appends `item` and drops the oldest entries beyond `max`. */
function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}
