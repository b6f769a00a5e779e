import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { registerStatsMetrics } from '../api/stats-metrics.ts';
import type { EventEmitter } from 'node:events';
import { blockNotFound } from '../errors/api.ts';
import type { BlockRecord, BlockRequest } from '../enforce/block.ts';
import type { Enforcer } from '../enforce/enforcer.ts';
import type { UnblockEvent } from '../enforce/enforcer-types.ts';
import type { MemoryGatewayServices } from '../api/memory-services.ts';
import { parseTarget, targetContains } from '../api/address.ts';
import { DecisionLog } from '../api/decision-log.ts';
import type {
  DecisionService,
  BlockEntry,
  BlockListQuery,
  BlockService,
  Decision,
  GatewayEventMap,
  GatewayServices,
  GatewayStats,
  HealthReport,
  ManualBlockRequest,
  Page,
  PolicyService,
  SourceReport,
  SourceService,
  UnblockRequest,
  VerdictService,
} from '../api/services.ts';

export interface GatewayServicesDependencies {
  /** Bookkeeping of verdicts, flows per source, traffic totals and the live events. */
  memory: MemoryGatewayServices;
  enforcer: Enforcer;
  /** Called after a manual unblock, so the policy may decide about the source again at once. */
  onManualUnblock?: (target: string, graceMs: number) => void;
  /** Health of the pipeline's other components, merged into GET /health. */
  componentHealth?: () => string[];
  /** Extra stats merged into GET /stats (queue depths, evictions, capture drops). */
  extraStats?: () => Partial<Pick<GatewayStats, 'queueDepths' | 'evictions' | 'captureDrops'>>;
  /** Ended blocks kept for GET /blocks?state=expired. */
  blockHistorySize?: number;
}

/**
 * The API's view of the running gateway: blocks come from the enforcer (the kernel's state and
 * the block store), everything else from the in-memory bookkeeping the pipeline feeds.
 */
export class EnforcedGatewayServices implements GatewayServices {
  readonly blocks: BlockService;
  readonly verdicts: VerdictService;
  readonly decisions: DecisionService;
  readonly sources: SourceService;
  readonly metrics: Registry;
  readonly events: EventEmitter<GatewayEventMap>;
  /** Set by the gateway once its policy exists. */
  policy: PolicyService | undefined;

  readonly #memory: MemoryGatewayServices;
  readonly #enforcer: Enforcer;
  readonly #dependencies: GatewayServicesDependencies;
  readonly #ended: BlockEntry[] = [];
  readonly #graceUntil = new Map<string, number>();
  readonly #decisionsBySource = new Map<string, Decision[]>();
  readonly #decisionLog = new DecisionLog(1_000);

  constructor(dependencies: GatewayServicesDependencies) {
    this.#dependencies = dependencies;
    this.#memory = dependencies.memory;
    this.#enforcer = dependencies.enforcer;
    // Its own registry: the memory store's mirrors the memory store's stats, which know no kernel
    // block and no nft drop counter.
    this.metrics = new Registry();
    registerStatsMetrics(this.metrics, () => this.stats());
    this.events = this.#memory.events;
    this.verdicts = this.#memory.verdicts;
    this.decisions = { list: async (query) => this.#decisionLog.list(query) };
    this.sources = { describe: (address) => this.#describe(address) };
    this.blocks = {
      list: async (query) => this.#list(query),
      get: async (target) => this.#get(target),
      add: (request) => this.#add(request),
      remove: (request) => this.#remove(request),
    };

    this.#enforcer.on('block', (record: BlockRecord) => {
      this.#decide({
        decisionId: record.decisionId,
        action: 'block',
        target: record.target,
        origin: record.origin,
        reason: record.reason,
        atMs: Date.now(),
        actor: record.origin === 'manual' ? 'api' : 'policy',
        durationMs: record.durationMs,
        expiresAtMs: record.expiresAtMs,
        ...(record.escalationLevel === undefined ? {} : { escalationLevel: record.escalationLevel }),
        ...(record.evidence ? { evidence: record.evidence } : {}),
      });
    });
    this.#enforcer.on('unblock', (event: UnblockEvent) => {
      this.#remember({ ...event.record, state: 'expired', endedAtMs: Date.now(), endReason: 'unblocked' });
      this.#decide({
        decisionId: randomUUID(),
        action: 'unblock',
        target: event.record.target,
        origin: event.record.origin,
        reason: 'unblocked by hand',
        atMs: Date.now(),
        actor: event.actor ?? 'api',
        graceMs: this.#graceUntil.has(event.record.target) ? Math.max(0, (this.#graceUntil.get(event.record.target) ?? 0) - Date.now()) : 0,
      });
    });
    this.#enforcer.on('expire', (record: BlockRecord) => {
      this.#remember({ ...record, state: 'expired', endedAtMs: record.expiresAtMs, endReason: 'timeout' });
      this.#decide({
        decisionId: record.decisionId,
        action: 'expire',
        target: record.target,
        origin: record.origin,
        reason: 'block time is up',
        atMs: Date.now(),
        actor: 'enforcer',
      });
    });
  }

  /** True while a manual unblock's grace period keeps the policy from blocking `target`. */
  inGracePeriod(target: string, nowMs = Date.now()): boolean {
    const until = this.#graceUntil.get(target);
    if (until === undefined) return false;
    if (until <= nowMs) {
      this.#graceUntil.delete(target);
      return false;
    }
    return true;
  }

  /** Applies a policy block through the enforcer unless a grace period forbids it. */
  async blockAutomatically(request: BlockRequest): Promise<BlockRecord | undefined> {
    if (this.inGracePeriod(request.target)) {
      this.#decide({
        decisionId: request.decisionId,
        action: 'skip',
        target: request.target,
        origin: request.origin,
        reason: `in the grace period of a manual unblock until ${new Date(this.#graceUntil.get(request.target) ?? 0).toISOString()}`,
        atMs: Date.now(),
        actor: 'policy',
      });
      return undefined;
    }
    return this.#enforcer.block(request);
  }

  /** Records a decision that changed nothing in the kernel (dry-run, refusal, guard). */
  recordDecision(decision: Decision): void {
    this.#decide(decision);
  }

  async stats(): Promise<GatewayStats> {
    const base = await this.#memory.stats();
    const enforce = await this.#enforcer.stats();
    const extra = this.#dependencies.extraStats?.() ?? {};
    const dropsBySet: GatewayStats['dropsBySet'] = {};
    for (const [set, value] of Object.entries(enforce.drops)) {
      if (value) dropsBySet[set] = { packets: value.packets, bytes: value.bytes };
    }
    return {
      ...base,
      activeBlocks: this.#enforcer.list().length,
      dropsBySet,
      captureDrops: extra.captureDrops ?? base.captureDrops,
      queueDepths: { ...base.queueDepths, ...extra.queueDepths, enforcerPendingChanges: enforce.pendingChanges },
      evictions: { ...base.evictions, ...extra.evictions },
    };
  }

  async health(): Promise<HealthReport> {
    // The pipeline records its own problems (a spoofed-source flood, a tripped guard) in the
    // memory services. Without them, GET /health would stay ok during such a flood.
    const reasons = [...this.#enforcer.health().reasons, ...(await this.#memory.health()).reasons, ...(this.#dependencies.componentHealth?.() ?? [])];
    return { status: reasons.length === 0 ? 'ok' : 'degraded', reasons };
  }

  #entry(record: BlockRecord): BlockEntry {
    return { ...record, state: 'active' };
  }

  #list(query: BlockListQuery): Page<BlockEntry> {
    const active = this.#enforcer
      .list({ ...(query.family ? { family: query.family } : {}), ...(query.origin ? { origin: query.origin } : {}) })
      .sort((a, b) => b.createdAtMs - a.createdAtMs)
      .map((record) => this.#entry(record));
    const ended = [...this.#ended]
      .reverse()
      .filter((entry) => (query.family === undefined || entry.family === query.family) && (query.origin === undefined || entry.origin === query.origin));
    let all: BlockEntry[];
    if (query.state === 'active') all = active;
    else if (query.state === 'expired') all = ended;
    else all = [...active, ...ended];
    return { items: all.slice(query.offset, query.offset + query.limit), total: all.length, offset: query.offset, limit: query.limit };
  }

  #get(target: string): BlockEntry | undefined {
    const active = this.#enforcer.get(target);
    if (active) return this.#entry(active);
    for (let i = this.#ended.length - 1; i >= 0; i--) if (this.#ended[i].target === target) return this.#ended[i];
    return undefined;
  }

  async #add(request: ManualBlockRequest): Promise<BlockRecord> {
    // Same 409 as the memory store, naming the allowlist entry or own address it overlaps.
    this.#memory.assertBlockable(request.target);
    // An operator's block overrides an earlier unblock's grace period.
    this.#graceUntil.delete(request.target);
    return this.#enforcer.block({
      target: request.target,
      durationMs: request.durationMs,
      reason: request.reason,
      origin: 'manual',
      decisionId: randomUUID(),
    });
  }

  async #remove(request: UnblockRequest): Promise<BlockEntry> {
    if (!this.#enforcer.get(request.target)) throw blockNotFound(request.target);
    if (request.graceMs > 0) this.#graceUntil.set(request.target, Date.now() + request.graceMs);
    const record = await this.#enforcer.unblock(request.target, { actor: request.actor });
    if (!record) throw blockNotFound(request.target);
    this.#dependencies.onManualUnblock?.(request.target, request.graceMs);
    return { ...record, state: 'expired', endedAtMs: Date.now(), endReason: 'unblocked' };
  }

  async #describe(address: string): Promise<SourceReport | undefined> {
    const report = await this.#memory.sources.describe(address);
    const block = this.#coveringBlock(address);
    const decisions = [...(this.#decisionsBySource.get(address) ?? [])].reverse();
    if (!report && !block && decisions.length === 0) return undefined;
    const graceUntilMs = this.#graceUntil.get(address);
    return {
      address,
      escalationLevel: block?.escalationLevel ?? decisions.find((decision) => decision.escalationLevel !== undefined)?.escalationLevel ?? 0,
      ...(block ? { block } : {}),
      ...(graceUntilMs === undefined ? {} : { graceUntilMs }),
      flows: report?.flows ?? [],
      verdicts: report?.verdicts ?? [],
      decisions,
    };
  }

  #coveringBlock(address: string): BlockEntry | undefined {
    const exact = this.#enforcer.get(address);
    if (exact) return this.#entry(exact);
    for (const record of this.#enforcer.list({ kind: 'prefix' })) {
      if (targetContains(parseTarget('target', record.target), address)) return this.#entry(record);
    }
    return undefined;
  }

  #remember(entry: BlockEntry): void {
    this.#ended.push(entry);
    const max = this.#dependencies.blockHistorySize ?? 1_000;
    if (this.#ended.length > max) this.#ended.splice(0, this.#ended.length - max);
  }

  #decide(decision: Decision): void {
    let list = this.#decisionsBySource.get(decision.target);
    if (!list) {
      // Bounded: the oldest source's decisions go first.
      if (this.#decisionsBySource.size >= 10_000) {
        const oldest = this.#decisionsBySource.keys().next().value;
        if (oldest !== undefined) this.#decisionsBySource.delete(oldest);
      }
      list = [];
      this.#decisionsBySource.set(decision.target, list);
    }
    list.push(decision);
    if (list.length > 50) list.shift();
    this.#decisionLog.add(decision);
    this.events.emit('decision', decision);
  }
}
