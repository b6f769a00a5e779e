/** Sets that hold blocks written by flowguard; the store mirrors their contents. */
export type BlockSetName = 'hosts4' | 'hosts6' | 'prefixes4' | 'prefixes6';
/** Sets the kernel fills itself from the packet path when the SYN-rate trap is on. */
export type TrapSetName = 'syntrap4' | 'syntrap6';

export const BLOCK_SETS: readonly BlockSetName[] = ['hosts4', 'hosts6', 'prefixes4', 'prefixes6'];
export const TRAP_SETS: readonly TrapSetName[] = ['syntrap4', 'syntrap6'];

export function blockSetFor(family: 4 | 6, kind: 'host' | 'prefix'): BlockSetName {
  if (kind === 'host') return family === 4 ? 'hosts4' : 'hosts6';
  return family === 4 ? 'prefixes4' : 'prefixes6';
}

/** One element as written to or read from a kernel set. */
export interface SetElement {
  set: BlockSetName;
  /** Normalised address or prefix (see `parseTarget`). */
  key: string;
  timeoutMs: number;
  /** Remaining time; equal to `timeoutMs` when absent on add. */
  expiresMs?: number;
  /** Decision id; `[A-Za-z0-9._:@/+-]`, at most 100 characters. */
  comment?: string;
}

/** A delete may also target a SYN-trap set, to release a source the kernel trapped. */
export type ElementChange = { op: 'add'; element: SetElement } | { op: 'delete'; element: { set: BlockSetName | TrapSetName; key: string } };

/**
 * Changes for one target that must be applied together, for example a delete and a re-add that
 * extend a timer. Bisection after a failed batch splits between groups, never inside one.
 */
export interface ChangeGroup {
  key: string;
  changes: ElementChange[];
}

export interface CounterValue {
  packets: number;
  bytes: number;
}

/** Contents of our table as `nft -j list table` printed them. */
export interface KernelState {
  /** Names of all sets in the table, so a set deleted by hand is noticed. */
  sets: string[];
  elements: SetElement[];
  /** Entries of the SYN-rate trap sets; their key is the trapped source address. */
  trapped: Array<{ set: TrapSetName; key: string; timeoutMs: number; expiresMs: number }>;
  counters: Record<string, CounterValue>;
}

/**
 * Kernel side of enforcement. Every method sends at most one batch, so a change of any size
 * costs one process; `apply` and `check` are all-or-nothing like an nft transaction.
 */
export interface EnforceBackend {
  readonly kind: 'nftables' | 'dry-run';
  /** Replaces our table (whether or not it existed) with a fresh one holding `restore`, atomically. */
  install(restore: readonly SetElement[]): Promise<void>;
  apply(groups: readonly ChangeGroup[]): Promise<void>;
  /** Validates the batch in the kernel without committing it (`nft -c`). */
  check(groups: readonly ChangeGroup[]): Promise<void>;
  /** Current state of our table, or undefined when the table does not exist. */
  read(): Promise<KernelState | undefined>;
  readCounters(): Promise<Record<string, CounterValue>>;
  /** Entries of the SYN-rate trap sets only; cheaper than `read` when the block sets are large. */
  readTrapped(): Promise<KernelState['trapped']>;
  /** True when our table exists; cheap (lists the counters only). */
  tableExists(): Promise<boolean>;
  uninstall(): Promise<void>;
  /** Number of nft processes started so far (the monitor counts once). */
  readonly processesSpawned: number;
}
