import { join } from 'node:path';
import { enforceError } from '../errors/enforce.ts';
import { isFlowguardError, type FlowguardError } from '../errors/index.ts';
import { Component } from '../lifecycle.ts';
import { silentLogger, type Logger } from '../log.ts';
import { applyWithBisection } from './apply-batch.ts';
import { BLOCK_SETS, blockSetFor, type BlockSetName, type ChangeGroup, type CounterValue, type EnforceBackend, type KernelState } from './backend.ts';
import type { BlockRecord, BlockRequest } from './block.ts';
import { BlockStore } from './block-store.ts';
import { DryRunBackend } from './dry-run-backend.ts';
import { NftablesBackend } from './nftables-backend.ts';
import { counterName, type TableLayout } from './nft-script.ts';
import { resolveEnforceOptions, type EnforceOptionsInput, type ResolvedEnforceOptions } from './options.ts';
import { diffKernel, recordElement, replaceGroup } from './reconcile.ts';
import { TableMonitor } from './table-monitor.ts';
import type { BlockListFilter, EnforceStats, EnforcerDependencies, EnforcerHealth, ReconcileCounts, UnblockEvent } from './enforcer-types.ts';
import { parseTarget, targetsOverlap, type Target } from './target.ts';
import { validateBlockRequest } from './validate-request.ts';

export type { BlockListFilter, EnforceStats, EnforcerDependencies, EnforcerHealth, ReconcileCounts, UnblockEvent } from './enforcer-types.ts';

/** put and delete change the store and the kernel; kernel changes only the kernel (repairs, trap releases). */
type Action = 'put' | 'delete' | 'kernel';

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/** One entry of the writer queue; later changes to the same key replace earlier ones. */
interface QueuedChange {
  key: string;
  action: Action;
  /** New record of a put; the removed record of a delete. */
  record?: BlockRecord;
  /** Kernel changes of a `kernel` action. */
  group?: ChangeGroup;
  /** Store record before the first queued change of this key, restored when nft rejects the change. */
  previous: BlockRecord | undefined;
  waiters: Waiter[];
  /** Event emissions that run once the kernel has the change. */
  onApplied: Array<() => void>;
}

/**
 * Time during which monitor events for keys we wrote ourselves are ignored.
 * NOTE: nft 1.0.6 events carry no writer id, so a foreign change to such a key within this
 * window is only caught by the periodic reconciliation.
 */
const OWN_CHANGE_WINDOW_MS = 10_000;

/**
 * Keeps the kernel's block sets equal to the block store.
 *
 * One writer: `block`, `unblock` and reconciliation all enqueue into one map keyed by target, and
 * a timer applies everything queued as one nft batch per tick. The store is written before the
 * kernel, so a crash between the two is repaired by the next start (which restores the store).
 * Events: 'block' (BlockRecord), 'unblock' (UnblockEvent), 'expire' (BlockRecord).
 */
export class Enforcer extends Component {
  readonly options: Readonly<ResolvedEnforceOptions>;
  readonly backend: EnforceBackend;
  readonly #log: Logger;
  readonly #store: BlockStore;
  readonly #layout: TableLayout;
  readonly #allowlist: Target[];
  readonly #requestRules: Parameters<typeof validateBlockRequest>[1];
  #pending = new Map<string, QueuedChange>();
  #pendingNew = new Map<BlockSetName, number>();
  readonly #setCounts = new Map<BlockSetName, number>(BLOCK_SETS.map((set) => [set, 0]));
  #nextExpiryMs = Infinity;
  #trapped: BlockRecord[] = [];
  readonly #recentlySent = new Map<string, number>();
  readonly #reasons = new Map<string, string>();
  #tickTimer: NodeJS.Timeout | undefined;
  #reconcileTimer: NodeJS.Timeout | undefined;
  #trapTimer: NodeJS.Timeout | undefined;
  #monitor: TableMonitor | undefined;
  #ticking: Promise<void> | undefined;
  #reconcileRequested = false;
  #reconcileWaiters: Array<(counts: ReconcileCounts) => void> = [];
  #backoffMs = 0;
  #retryAtMs = 0;
  readonly #reconcile: ReconcileCounts = { runs: 0, missing: 0, extra: 0, drift: 0, reinstalls: 0, monitorTriggers: 0 };
  readonly #batches = { applied: 0, failed: 0, bisections: 0, changesApplied: 0, elementsRejected: 0, lastChanges: 0, lastStoreMs: 0, lastNftMs: 0 };

  constructor(options: EnforceOptionsInput = {}, dependencies: EnforcerDependencies = {}) {
    super('enforce');
    this.options = resolveEnforceOptions(options);
    this.#log = (dependencies.logger ?? silentLogger()).child({ component: 'enforce' });
    const rules = { minPrefixLength4: 0, minPrefixLength6: 0 };
    const loopback = [parseTarget('127.0.0.0/8', rules), parseTarget('::1', rules)];
    this.#allowlist = [...loopback, ...this.options.allowlist.map((entry) => parseTarget(entry, rules))];
    this.#requestRules = {
      minPrefixLength4: this.options.minPrefixLength4,
      minPrefixLength6: this.options.minPrefixLength6,
      maxTimeoutMs: this.options.maxTimeoutMs,
      allowlist: this.#allowlist,
    };
    this.#layout = {
      family: this.options.mode === 'bridge' ? 'bridge' : 'inet',
      name: this.options.tableName,
      setSize: this.options.setSize,
      allow4: this.#allowlist.filter((entry) => entry.family === 4).map((entry) => entry.key),
      allow6: this.#allowlist.filter((entry) => entry.family === 6).map((entry) => entry.key),
      synTrap: this.options.synTrap,
    };
    this.backend = dependencies.backend ?? this.#createBackend();
    this.#store = new BlockStore(join(this.options.stateDir, 'enforce'), { compactEntries: this.options.journalCompactEntries });
  }

  get layout(): Readonly<TableLayout> {
    return this.#layout;
  }

  /**
   * Queues a block and resolves once the kernel has it. A re-block of an active target extends
   * its timer to the later of the two expiries and keeps the newer decision id.
   */
  async block(request: BlockRequest): Promise<BlockRecord> {
    this.#requireRunning();
    const validated = validateBlockRequest(request, this.#requestRules);
    const { target, durationMs } = validated;
    if (validated.clamped) {
      this.#log.debug({ target: target.key, requestedMs: request.durationMs, maxTimeoutMs: this.options.maxTimeoutMs }, 'block duration shortened to the maximum');
    }
    const now = Date.now();
    const current = this.#current(target.key);
    if (!current) this.#checkCapacity(target);
    if (target.kind === 'prefix') this.#checkPrefixOverlap(target);
    const expiresAtMs = Math.max(now + durationMs, current?.expiresAtMs ?? 0);
    const record: BlockRecord = {
      ...request,
      target: target.key,
      durationMs,
      family: target.family,
      kind: target.kind,
      createdAtMs: now,
      expiresAtMs,
    };
    await this.#enqueue(target.key, 'put', record, () => this.emit('block', record));
    return record;
  }

  /**
   * Removes a block; with `graceMs` the block stays that much longer (never longer than it
   * had left). Resolves with the removed record once the kernel has the change, or undefined
   * when the target had no active block.
   */
  async unblock(target: string, options: { graceMs?: number; actor?: string } = {}): Promise<BlockRecord | undefined> {
    this.#requireRunning();
    const key = parseTarget(target, { minPrefixLength4: 0, minPrefixLength6: 0 }).key;
    const current = this.#current(key);
    if (!current) return this.#releaseTrapped(key, options.actor);
    const graceMs = Math.max(0, options.graceMs ?? 0);
    const event: UnblockEvent = { record: current, actor: options.actor, graceMs };
    if (graceMs > 0 && Date.now() + graceMs < current.expiresAtMs) {
      const shortened: BlockRecord = { ...current, expiresAtMs: Date.now() + graceMs };
      await this.#enqueue(key, 'put', shortened, () => this.emit('unblock', event));
      return shortened;
    }
    await this.#enqueue(key, 'delete', current, () => this.emit('unblock', event));
    return current;
  }

  /** Deletes a source from the SYN-trap set; it is trapped again if it keeps flooding. */
  async #releaseTrapped(key: string, actor: string | undefined): Promise<BlockRecord | undefined> {
    const record = this.#trapped.find((entry) => entry.target === key);
    if (!record) return undefined;
    const set = record.family === 4 ? 'syntrap4' : 'syntrap6';
    const queueKey = `${set} ${key}`;
    await new Promise<void>((resolve, reject) => {
      this.#setPending({
        key: queueKey,
        action: 'kernel',
        group: { key: queueKey, changes: [{ op: 'delete', element: { set, key } }] },
        previous: undefined,
        waiters: [...(this.#pending.get(queueKey)?.waiters ?? []), { resolve, reject }],
        onApplied: [
          () => {
            this.#trapped = this.#trapped.filter((entry) => entry !== record);
            this.emit('unblock', { record, actor, graceMs: 0 } satisfies UnblockEvent);
          },
        ],
      });
    });
    return record;
  }

  /** Active blocks, including SYN-trap entries (origin `kernel-ratelimit`) from the last kernel read. */
  list(filter: BlockListFilter = {}): BlockRecord[] {
    const now = Date.now();
    const all = [...this.#store.records.values(), ...this.#trapped];
    return all.filter(
      (record) =>
        record.expiresAtMs > now &&
        (filter.origin === undefined || record.origin === filter.origin) &&
        (filter.family === undefined || record.family === filter.family) &&
        (filter.kind === undefined || record.kind === filter.kind),
    );
  }

  /** Returns the active block of exactly this target (normalised first), if any. */
  get(target: string): BlockRecord | undefined {
    let key: string;
    try {
      key = parseTarget(target, { minPrefixLength4: 0, minPrefixLength6: 0 }).key;
    } catch {
      return undefined;
    }
    const record = this.#store.records.get(key) ?? this.#trapped.find((entry) => entry.target === key);
    return record && record.expiresAtMs > Date.now() ? record : undefined;
  }

  health(): EnforcerHealth {
    const reasons = [...this.#reasons.values()];
    if (this.state !== 'running') reasons.unshift(`enforcer is ${this.state}`);
    return { status: reasons.length === 0 ? 'ok' : 'degraded', reasons };
  }

  async stats(): Promise<EnforceStats> {
    const counters = this.state === 'running' ? await this.backend.readCounters() : {};
    const drops: Record<string, CounterValue> = {};
    for (const set of [...BLOCK_SETS, 'syntrap4', 'syntrap6'] as const) {
      const value = counters[counterName(set)];
      if (value) drops[set] = value;
    }
    return {
      elements: Object.fromEntries(this.#setCounts) as Record<BlockSetName, number>,
      trappedSources: this.#trapped.length,
      drops,
      reconcile: { ...this.#reconcile },
      batches: { ...this.#batches },
      pendingChanges: this.#pending.size,
      nftProcessesSpawned: this.backend.processesSpawned,
    };
  }

  /** Compares the store with the kernel now (through the writer queue) and repairs differences. */
  reconcile(): Promise<ReconcileCounts> {
    this.#requireRunning();
    return new Promise((resolve) => {
      this.#reconcileWaiters.push(resolve);
      this.#reconcileRequested = true;
    });
  }

  /**
   * Resolves once every change queued so far was applied or rejected, or when `timeoutMs` has
   * passed while nft keeps failing (the changes stay queued).
   */
  async flush(timeoutMs = Infinity): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.#pending.size > 0 || this.#ticking) && Date.now() < deadline) {
      if (this.#ticking) await this.#ticking;
      else await this.#tick();
      if (this.#pending.size > 0 && Date.now() < this.#retryAtMs) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.#retryAtMs, deadline) - Date.now()));
      }
    }
  }

  protected async onStart(): Promise<void> {
    const report = await this.#store.load();
    if (report.skippedLines > 0) this.#log.warn({ skippedLines: report.skippedLines }, 'block store journal had unreadable lines, probably torn by a crash');
    const now = Date.now();
    const expired = [...this.#store.records.values()].filter((record) => record.expiresAtMs <= now).map((record) => record.target);
    // maxTimeoutMs may have been lowered since these records were written; it bounds them too.
    const { maxTimeoutMs } = this.options;
    const shortened = [...this.#store.records.values()]
      .filter((record) => record.expiresAtMs > now && (record.durationMs > maxTimeoutMs || record.expiresAtMs - now > maxTimeoutMs))
      .map((record) => ({ ...record, durationMs: Math.min(record.durationMs, maxTimeoutMs), expiresAtMs: Math.min(record.expiresAtMs, now + maxTimeoutMs) }));
    await this.#store.commit(shortened, expired);
    this.#recount();
    await this.#install();
    this.#log.info(
      { restored: this.#store.records.size, expired: expired.length, shortened: shortened.length, backend: this.backend.kind, table: this.#layout.name },
      'enforcer started',
    );
    this.#startMonitor();
    this.#reconcileTimer = setInterval(() => {
      this.#reconcileRequested = true;
    }, this.options.reconcileIntervalMs);
    this.#reconcileTimer.unref();
    if (this.options.synTrap.enabled) {
      this.#trapTimer = setInterval(() => void this.#refreshTrapped(), Math.min(5_000, this.options.reconcileIntervalMs));
      this.#trapTimer.unref();
    }
    // A steady tick, not one scheduled per change: it also drives expiry and back-off retries,
    // and costs one comparison when there is nothing to do. It keeps the event loop alive
    // until close(), because callers await changes that only the tick applies.
    this.#tickTimer = setInterval(() => void this.#tick(), this.options.tickMs);
  }

  protected async onClose(): Promise<void> {
    this.#stopTimers();
    try {
      await this.flush(2 * this.options.commandTimeoutMs);
    } catch (err) {
      this.#log.error({ err }, 'final flush on close failed');
    }
    this.#rejectAll(enforceError('NOT_RUNNING', 'The enforcer closed before this change was applied; retry after restart.'));
    await this.#store.close();
    if (this.options.removeOnStop) {
      await this.backend.uninstall();
      this.#log.info({ table: this.#layout.name }, 'table removed on stop');
    }
    this.#log.info({ active: this.#store.records.size }, 'enforcer closed');
  }

  protected async onDestroy(err?: Error): Promise<void> {
    this.#stopTimers();
    this.#rejectAll(err ?? enforceError('NOT_RUNNING', 'The enforcer was destroyed before this change was applied.'));
    await this.#ticking?.catch(() => undefined);
    await this.#store.close().catch(() => undefined);
  }

  #createBackend(): EnforceBackend {
    if (this.options.dryRun) {
      return new DryRunBackend(this.#layout, (script) => this.#log.debug({ bytes: script.length }, 'dry-run batch'));
    }
    return new NftablesBackend({
      layout: this.#layout,
      nftPath: this.options.nftPath,
      netns: this.options.netns,
      commandTimeoutMs: this.options.commandTimeoutMs,
    });
  }

  #requireRunning(): void {
    if (this.state !== 'running') {
      throw enforceError('NOT_RUNNING', `The enforcer is ${this.state}; changes are accepted only while it runs.`, { state: this.state });
    }
  }

  /** Store record or queued put for `key`; a queued delete hides the stored record. */
  #current(key: string): BlockRecord | undefined {
    const queued = this.#pending.get(key);
    if (queued?.action === 'put') return queued.record;
    if (queued?.action === 'delete') return undefined;
    const stored = this.#store.records.get(key);
    return stored && stored.expiresAtMs > Date.now() ? stored : undefined;
  }

  #checkCapacity(target: Target): void {
    const set = blockSetFor(target.family, target.kind);
    const used = (this.#setCounts.get(set) ?? 0) + (this.#pendingNew.get(set) ?? 0);
    if (used >= this.options.maxElementsPerSet) {
      throw enforceError(
        'CAPACITY',
        `Cannot block ${target.key}: set ${set} contains ${used} active blocks and maxElementsPerSet is ${this.options.maxElementsPerSet}. Unblock some, or raise maxElementsPerSet (it must stay below setSize ${this.options.setSize}).`,
        { target: target.key, set, used },
      );
    }
    if (this.#pending.size >= this.options.maxPendingChanges) {
      throw enforceError('QUEUE_FULL', `Cannot block ${target.key}: ${this.#pending.size} changes are waiting for nft (maxPendingChanges); retry shortly.`, { target: target.key });
    }
  }

  #checkPrefixOverlap(target: Target): void {
    const queued = [...this.#pending.values()].flatMap((change) => (change.action === 'put' && change.record ? [change.record] : []));
    for (const record of [this.#store.records.values(), queued].flatMap((source) => [...source])) {
      if (record.kind !== 'prefix' || record.family !== target.family || record.target === target.key) continue;
      if (this.#current(record.target) === undefined) continue;
      if (targetsOverlap(parseTarget(record.target, { minPrefixLength4: 0, minPrefixLength6: 0 }), target)) {
        throw enforceError(
          'PREFIX_OVERLAP',
          `Cannot block prefix ${target.key}: it overlaps the active prefix block ${record.target}; unblock ${record.target} first or block that prefix again to extend it.`,
          { target: target.key, existing: record.target },
        );
      }
    }
  }

  #enqueue(key: string, action: 'put' | 'delete', record: BlockRecord, onApplied: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const existing = this.#pending.get(key);
      const change: QueuedChange = {
        key,
        action,
        record,
        // A queued repair never changed the store, so only a queued put or delete keeps its `previous`.
        previous: existing && existing.action !== 'kernel' ? existing.previous : this.#store.records.get(key),
        waiters: [...(existing?.waiters ?? []), { resolve, reject }],
        onApplied: [...(existing?.onApplied ?? []), onApplied],
      };
      this.#setPending(change);
    });
  }

  /** Puts a change in the queue, keeping the count of queued puts that add a new key. */
  #setPending(change: QueuedChange): void {
    const before = this.#pending.get(change.key);
    const set = change.record ? blockSetFor(change.record.family, change.record.kind) : undefined;
    const isNew = (entry: QueuedChange | undefined) => entry?.action === 'put' && !this.#store.records.has(entry.key);
    if (set) this.#pendingNew.set(set, (this.#pendingNew.get(set) ?? 0) + (isNew(change) ? 1 : 0) - (isNew(before) ? 1 : 0));
    this.#pending.set(change.key, change);
  }

  #tick(): Promise<void> {
    if (this.#ticking) return this.#ticking;
    this.#ticking = this.#runTick()
      .catch((err: unknown) => this.#log.error({ err }, 'enforcer tick failed'))
      .finally(() => {
        this.#ticking = undefined;
      });
    return this.#ticking;
  }

  async #runTick(): Promise<void> {
    await this.#expire();
    // Reconciliation runs during back-off too: a missing table is the commonest cause of it.
    if (this.#reconcileRequested) {
      this.#reconcileRequested = false;
      try {
        await this.#reconcileNow();
      } catch (err) {
        this.#degrade('reconcile', `reconciliation failed: ${(err as Error).message}`);
        this.#log.error({ err }, 'reconciliation failed');
      }
    }
    if (this.#pending.size > 0 && Date.now() >= this.#retryAtMs) await this.#applyQueued();
    const waiters = this.#reconcileWaiters.splice(0);
    for (const resolve of waiters) resolve({ ...this.#reconcile });
  }

  /** Drops expired records from the store; the kernel removes their elements on its own. */
  async #expire(): Promise<void> {
    const now = Date.now();
    for (const [key, sentAt] of this.#recentlySent) if (now - sentAt > OWN_CHANGE_WINDOW_MS) this.#recentlySent.delete(key);
    if (now < this.#nextExpiryMs) return;
    const expired = [...this.#store.records.values()].filter((record) => record.expiresAtMs <= now && !this.#pending.has(record.target));
    if (expired.length > 0) {
      await this.#store.commit(
        [],
        expired.map((record) => record.target),
      );
      for (const record of expired) this.emit('expire', record);
    }
    this.#recount();
  }

  async #applyQueued(): Promise<void> {
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    this.#pendingNew = new Map();
    const now = Date.now();
    const puts = batch.filter((change) => change.action === 'put').map((change) => change.record!);
    const deletes = batch.filter((change) => change.action === 'delete').map((change) => change.key);
    const storeStarted = performance.now();
    try {
      await this.#store.commit(puts, deletes);
    } catch (err) {
      this.#degrade('store', `block store write failed: ${(err as Error).message}`);
      this.#log.error({ err, changes: batch.length }, 'block store write failed; changes rejected');
      for (const change of batch) for (const waiter of change.waiters) waiter.reject(err as Error);
      return;
    }
    this.#recount();
    this.#reasons.delete('store');
    const storeMs = performance.now() - storeStarted;
    const nftStarted = performance.now();
    const byGroup = new Map<ChangeGroup, QueuedChange>();
    for (const change of batch) {
      byGroup.set(this.#groupFor(change, now), change);
      this.#recentlySent.set(change.key, now);
    }
    let outcome;
    try {
      outcome = await applyWithBisection(this.backend, [...byGroup.keys()]);
    } catch (err) {
      await this.#retryLater(batch, err as Error);
      return;
    }
    this.#batches.applied++;
    this.#batches.changesApplied += outcome.applied.length;
    this.#batches.lastChanges = batch.length;
    this.#batches.lastStoreMs = storeMs;
    this.#batches.lastNftMs = performance.now() - nftStarted;
    if (outcome.checks > 0) this.#batches.bisections++;
    this.#backoffMs = 0;
    this.#retryAtMs = 0;
    this.#reasons.delete('batch');
    await this.#handleRejected(outcome.rejected.map((entry) => ({ change: byGroup.get(entry.group)!, error: entry.error })));
    for (const group of outcome.applied) {
      const change = byGroup.get(group)!;
      for (const emit of change.onApplied) emit();
      for (const waiter of change.waiters) waiter.resolve();
    }
  }

  #groupFor(change: QueuedChange, now: number): ChangeGroup {
    if (change.action === 'kernel') return change.group!;
    const record = change.record!;
    if (change.action === 'delete' || record.expiresAtMs <= now) {
      return { key: change.key, changes: [{ op: 'delete', element: { set: blockSetFor(record.family, record.kind), key: change.key } }] };
    }
    return replaceGroup(recordElement(record, now));
  }

  /** Rolls the store back for changes nft rejected on their own and reports them to their callers. */
  async #handleRejected(rejected: Array<{ change: QueuedChange; error: FlowguardError }>): Promise<void> {
    if (rejected.length === 0) return;
    this.#batches.elementsRejected += rejected.length;
    const restore: BlockRecord[] = [];
    const remove: string[] = [];
    for (const { change, error } of rejected) {
      if (change.action !== 'kernel' && change.previous) restore.push(change.previous);
      else if (change.action !== 'kernel') remove.push(change.key);
      const reported =
        error.code === 'FG_ERR_ENFORCE_SET_FULL'
          ? error
          : enforceError('ELEMENT_REJECTED', `nft rejected the change to ${change.key}: ${String(error.details.stderr ?? error.message)}. The rest of the batch was applied.`, {
              target: change.key,
              stderr: error.details.stderr,
            });
      this.#log.warn({ target: change.key, action: change.action, err: reported }, 'nft rejected one element of a batch');
      for (const waiter of change.waiters) waiter.reject(reported);
    }
    await this.#store.commit(restore, remove);
    this.#recount();
  }

  /** Requeues a batch that failed for a reason not tied to one element, with exponential back-off. */
  async #retryLater(batch: QueuedChange[], err: Error): Promise<void> {
    this.#batches.failed++;
    this.#backoffMs = Math.min(this.options.retryMaxMs, this.#backoffMs === 0 ? this.options.retryInitialMs : this.#backoffMs * 2);
    this.#retryAtMs = Date.now() + this.#backoffMs;
    this.#degrade('batch', `nft batch failed, retrying in ${this.#backoffMs} ms: ${err.message}`);
    this.#log.warn({ err, changes: batch.length, retryInMs: this.#backoffMs }, 'nft batch failed; retrying');
    const pending = enforceError('COMMAND_FAILED', `The change is stored but nft failed (${err.message}); it is retried with back-off and health() reports degraded until it succeeds.`, {
      cause: isFlowguardError(err) ? err.code : undefined,
    });
    for (const change of batch) {
      const newer = this.#pending.get(change.key);
      for (const waiter of change.waiters) waiter.reject(pending);
      if (newer) {
        newer.onApplied.unshift(...change.onApplied);
        continue;
      }
      this.#setPending({ ...change, waiters: [], previous: this.#store.records.get(change.key) });
    }
    // A missing table also fails every batch; reconciliation reinstalls it.
    const exists = await this.backend.tableExists().catch(() => true);
    if (!exists) this.#reconcileRequested = true;
  }

  async #reconcileNow(): Promise<void> {
    const now = Date.now();
    this.#reconcile.runs++;
    const state = await this.backend.read();
    const missingSets = state ? BLOCK_SETS.filter((set) => !state.sets.includes(set)) : BLOCK_SETS;
    if (!state || missingSets.length > 0) {
      this.#reconcile.reinstalls++;
      this.#log.warn({ table: this.#layout.name, missingSets }, 'our table or one of its sets is missing; reinstalling');
      await this.#install();
      this.#retryAtMs = 0;
      return;
    }
    this.#setTrapped(state.trapped, now);
    const diff = diffKernel(this.#store.records.values(), state, now, this.options.driftToleranceMs, (key) => this.#pending.has(key));
    this.#reconcile.missing += diff.missing;
    this.#reconcile.extra += diff.extra;
    this.#reconcile.drift += diff.drift;
    for (const group of diff.groups) {
      this.#setPending({ key: group.key, action: 'kernel', group, previous: undefined, waiters: [], onApplied: [] });
    }
    this.#reasons.delete('reconcile');
    if (diff.groups.length > 0) this.#log.info({ missing: diff.missing, extra: diff.extra, drift: diff.drift }, 'reconciliation repairs queued');
  }

  /** Replaces the table with one holding every active block, in one nft transaction. */
  async #install(): Promise<void> {
    const now = Date.now();
    const active = [...this.#store.records.values()].filter((record) => record.expiresAtMs > now && !this.#pending.has(record.target));
    // The monitor reports every restored element; they are ours, so they must not look foreign.
    for (const record of active) this.#recentlySent.set(record.target, now);
    await this.backend.install(active.map((record) => recordElement(record, now)));
    this.#reasons.delete('table');
  }

  async #refreshTrapped(): Promise<void> {
    if (this.state !== 'running') return;
    try {
      this.#setTrapped(await this.backend.readTrapped(), Date.now());
    } catch (err) {
      this.#log.warn({ err }, 'reading the SYN trap sets failed');
    }
  }

  #setTrapped(entries: KernelState['trapped'], now: number): void {
    const { ratePerSecond } = this.options.synTrap;
    this.#trapped = entries.map((entry) => {
      const family = entry.set === 'syntrap4' ? 4 : 6;
      return {
        target: entry.key,
        durationMs: entry.timeoutMs,
        reason: `SYN rate above ${ratePerSecond}/s (kernel trap)`,
        origin: 'kernel-ratelimit',
        decisionId: `kernel-ratelimit:${entry.key}`,
        family,
        kind: 'host',
        createdAtMs: now + entry.expiresMs - entry.timeoutMs,
        expiresAtMs: now + entry.expiresMs,
      } satisfies BlockRecord;
    });
  }

  #startMonitor(): void {
    if (!this.options.monitor || !(this.backend instanceof NftablesBackend)) return;
    this.#monitor = new TableMonitor(
      this.backend,
      {
        isOwnKey: (key) => this.#recentlySent.has(key),
        onForeignChange: () => {
          this.#reconcile.monitorTriggers++;
          this.#reconcileRequested = true;
        },
        onStatus: (reason) => (reason === undefined ? this.#reasons.delete('monitor') : this.#degrade('monitor', reason)),
      },
      this.#log,
    );
    this.#monitor.start();
  }

  #degrade(key: string, reason: string): void {
    this.#reasons.set(key, reason);
  }

  #recount(): void {
    for (const set of BLOCK_SETS) this.#setCounts.set(set, 0);
    let next = Infinity;
    for (const record of this.#store.records.values()) {
      const set = blockSetFor(record.family, record.kind);
      this.#setCounts.set(set, this.#setCounts.get(set)! + 1);
      if (record.expiresAtMs < next) next = record.expiresAtMs;
    }
    this.#nextExpiryMs = next;
  }

  #stopTimers(): void {
    for (const timer of [this.#tickTimer, this.#reconcileTimer, this.#trapTimer]) if (timer) clearTimeout(timer);
    this.#tickTimer = undefined;
    this.#reconcileTimer = undefined;
    this.#trapTimer = undefined;
    const monitor = this.#monitor;
    this.#monitor = undefined;
    monitor?.stop();
  }

  #rejectAll(err: Error): void {
    for (const change of this.#pending.values()) for (const waiter of change.waiters.splice(0)) waiter.reject(err);
    for (const resolve of this.#reconcileWaiters.splice(0)) resolve({ ...this.#reconcile });
  }
}
