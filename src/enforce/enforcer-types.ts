import type { Logger } from '../log.ts';
import type { BlockSetName, CounterValue, EnforceBackend } from './backend.ts';
import type { BlockOrigin, BlockRecord } from './block.ts';

/** Public shapes of the `Enforcer` API: its dependencies, filters, health, stats and events. */

export interface EnforcerDependencies {
  logger?: Logger;
  /** Replaces the backend chosen from the options (`dryRun`), for tests and benchmarks. */
  backend?: EnforceBackend;
}

export interface BlockListFilter {
  origin?: BlockOrigin;
  family?: 4 | 6;
  kind?: 'host' | 'prefix';
}

export interface EnforcerHealth {
  status: 'ok' | 'degraded';
  reasons: string[];
}

export interface ReconcileCounts {
  runs: number;
  missing: number;
  extra: number;
  drift: number;
  reinstalls: number;
  monitorTriggers: number;
}

export interface EnforceStats {
  elements: Record<BlockSetName, number>;
  trappedSources: number;
  /** Packets and bytes dropped per set, from the named counters of our table. */
  drops: Record<string, CounterValue>;
  reconcile: ReconcileCounts;
  batches: {
    applied: number;
    failed: number;
    bisections: number;
    changesApplied: number;
    elementsRejected: number;
    /** Changes in the last applied batch, and the time its store write and nft run took. */
    lastChanges: number;
    lastStoreMs: number;
    lastNftMs: number;
  };
  pendingChanges: number;
  nftProcessesSpawned: number;
}

/** Payload of the 'unblock' event. */
export interface UnblockEvent {
  record: BlockRecord;
  actor: string | undefined;
  graceMs: number;
}
