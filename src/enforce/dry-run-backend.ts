import { enforceError } from '../errors/enforce.ts';
import { BLOCK_SETS, type BlockSetName, type ChangeGroup, type CounterValue, type EnforceBackend, type KernelState, type SetElement } from './backend.ts';
import { counterName, renderChanges, renderInstall, type TableLayout } from './nft-script.ts';
import { parseTarget, targetsOverlap } from './target.ts';

interface StoredElement {
  timeoutMs: number;
  expiresAtMs: number;
  comment?: string;
}

/**
 * Backend that keeps the table in memory and runs no process. It renders the same nft text as
 * the real backend (handed to `onScript`) and enforces the kernel rules that make a batch fail:
 * set size (reported with nft's ENFILE text) and overlapping intervals in a prefix set.
 */
export class DryRunBackend implements EnforceBackend {
  readonly kind = 'dry-run';
  readonly processesSpawned = 0;
  readonly layout: TableLayout;
  #sets: Map<BlockSetName, Map<string, StoredElement>> | undefined;
  #onScript: (script: string) => void;

  constructor(layout: TableLayout, onScript: (script: string) => void = () => undefined) {
    this.layout = layout;
    this.#onScript = onScript;
  }

  async install(restore: readonly SetElement[]): Promise<void> {
    this.#onScript(renderInstall(this.layout, restore));
    const sets = new Map(BLOCK_SETS.map((set) => [set, new Map<string, StoredElement>()]));
    this.#validateAdds(sets, restore);
    for (const element of restore) sets.get(element.set)!.set(element.key, toStored(element));
    this.#sets = sets;
  }

  async apply(groups: readonly ChangeGroup[]): Promise<void> {
    const sets = this.#requireTable();
    this.#validate(sets, groups);
    this.#onScript(renderChanges(this.layout.family, this.layout.name, groups));
    for (const group of groups) {
      // The dry run has no SYN trap, so deletes from trap sets find nothing.
      for (const change of group.changes) if (change.op === 'delete') sets.get(change.element.set as BlockSetName)?.delete(change.element.key);
    }
    for (const group of groups) {
      for (const change of group.changes) if (change.op === 'add') sets.get(change.element.set)!.set(change.element.key, toStored(change.element));
    }
  }

  async check(groups: readonly ChangeGroup[]): Promise<void> {
    this.#validate(this.#requireTable(), groups);
  }

  async read(): Promise<KernelState | undefined> {
    if (!this.#sets) return undefined;
    const now = Date.now();
    const state: KernelState = { sets: ['allow4', 'allow6', ...BLOCK_SETS], elements: [], trapped: [], counters: await this.readCounters() };
    for (const [set, elements] of this.#sets) {
      for (const [key, element] of elements) {
        if (element.expiresAtMs <= now) {
          elements.delete(key);
          continue;
        }
        state.elements.push({ set, key, timeoutMs: element.timeoutMs, expiresMs: element.expiresAtMs - now, comment: element.comment });
      }
    }
    return state;
  }

  async readCounters(): Promise<Record<string, CounterValue>> {
    if (!this.#sets) return {};
    return Object.fromEntries(BLOCK_SETS.map((set) => [counterName(set), { packets: 0, bytes: 0 }]));
  }

  async readTrapped(): Promise<KernelState['trapped']> {
    return [];
  }

  async tableExists(): Promise<boolean> {
    return this.#sets !== undefined;
  }

  async uninstall(): Promise<void> {
    this.#sets = undefined;
  }

  /** Removes the table as another process would, so tests can exercise reinstallation. */
  simulateTableDeleted(): void {
    this.#sets = undefined;
  }

  #requireTable(): Map<BlockSetName, Map<string, StoredElement>> {
    if (!this.#sets) {
      throw enforceError('COMMAND_FAILED', `Dry run: table ${this.layout.family} ${this.layout.name} does not exist.`, {
        exitCode: 1,
        stderr: 'Error: Could not process rule: No such file or directory',
      });
    }
    return this.#sets;
  }

  #validate(sets: Map<BlockSetName, Map<string, StoredElement>>, groups: readonly ChangeGroup[]): void {
    const deleted = new Set<string>();
    for (const group of groups) {
      for (const change of group.changes) if (change.op === 'delete') deleted.add(`${change.element.set} ${change.element.key}`);
    }
    const adds = groups.flatMap((group) => group.changes.flatMap((change) => (change.op === 'add' ? [change.element] : [])));
    this.#validateAdds(sets, adds, deleted);
  }

  #validateAdds(sets: Map<BlockSetName, Map<string, StoredElement>>, adds: readonly SetElement[], deleted = new Set<string>()): void {
    const now = Date.now();
    const counts = new Map<BlockSetName, number>();
    for (const [set, elements] of sets) {
      let live = 0;
      for (const [key, element] of elements) if (element.expiresAtMs > now && !deleted.has(`${set} ${key}`)) live++;
      counts.set(set, live);
    }
    const prefixes = new Map<BlockSetName, ReturnType<typeof parseTarget>[]>();
    for (const element of adds) {
      const existing = sets.get(element.set)!;
      if (!existing.has(element.key) || deleted.has(`${element.set} ${element.key}`)) {
        const count = (counts.get(element.set) ?? 0) + 1;
        counts.set(element.set, count);
        if (count > this.layout.setSize) throw rejected(element, 'Error: Could not process rule: Too many open files in system');
      }
      if (element.set.startsWith('prefixes')) {
        const target = parseTarget(element.key, { minPrefixLength4: 0, minPrefixLength6: 0 });
        const others = prefixes.get(element.set) ?? [...existing.keys()].filter((key) => !deleted.has(`${element.set} ${key}`)).map((key) => parseTarget(key, { minPrefixLength4: 0, minPrefixLength6: 0 }));
        if (others.some((other) => other.key !== target.key && targetsOverlap(other, target))) {
          throw rejected(element, 'Error: interval overlaps with an existing one');
        }
        others.push(target);
        prefixes.set(element.set, others);
      }
    }
  }
}

function toStored(element: SetElement): StoredElement {
  return { timeoutMs: element.timeoutMs, expiresAtMs: Date.now() + (element.expiresMs ?? element.timeoutMs), comment: element.comment };
}

function rejected(element: SetElement, stderr: string) {
  return enforceError('COMMAND_FAILED', `Dry run rejected element ${element.key} in set ${element.set}: ${stderr}`, { exitCode: 1, stderr });
}
