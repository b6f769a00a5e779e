import type { BlockRecord } from './block.ts';
import { blockSetFor, type ChangeGroup, type KernelState, type SetElement } from './backend.ts';

export interface ReconcileDiff {
  groups: ChangeGroup[];
  /** In the store, not in the kernel. */
  missing: number;
  /** In the kernel, not in the store. */
  extra: number;
  /** In both, but the kernel expiry or comment differs from the store. */
  drift: number;
}

const KERNEL_KEY = /^[0-9a-fA-F:.]+(\/\d{1,3}|-[0-9a-fA-F:.]+)?$/;

/** Builds the kernel element that enforces a record, with the time left at `nowMs`. */
export function recordElement(record: BlockRecord, nowMs: number): SetElement {
  const remainingMs = Math.max(1, record.expiresAtMs - nowMs);
  return {
    set: blockSetFor(record.family, record.kind),
    key: record.target,
    // A re-block can leave more time than its own duration; nft wants expires ≤ timeout.
    timeoutMs: Math.max(record.durationMs, remainingMs),
    expiresMs: remainingMs,
    comment: record.decisionId,
  };
}

/** Delete then re-add in one group: a fresh timer on every kernel, comment included. */
export function replaceGroup(element: SetElement): ChangeGroup {
  return {
    key: element.key,
    changes: [
      { op: 'delete', element: { set: element.set, key: element.key } },
      { op: 'add', element },
    ],
  };
}

/**
 * Compares the store (the source of truth) with what the kernel listed and returns the changes
 * that make the kernel match. `skip` excludes keys with a change already queued.
 */
export function diffKernel(
  records: Iterable<BlockRecord>,
  kernel: KernelState,
  nowMs: number,
  toleranceMs: number,
  skip: (key: string) => boolean,
): ReconcileDiff {
  const diff: ReconcileDiff = { groups: [], missing: 0, extra: 0, drift: 0 };
  const inKernel = new Map(kernel.elements.map((element) => [`${element.set} ${element.key}`, element]));
  const wanted = new Set<string>();
  for (const record of records) {
    if (record.expiresAtMs <= nowMs || skip(record.target)) continue;
    const element = recordElement(record, nowMs);
    const id = `${element.set} ${element.key}`;
    wanted.add(id);
    const current = inKernel.get(id);
    if (!current) {
      diff.missing++;
      diff.groups.push(replaceGroup(element));
    } else if (Math.abs((current.expiresMs ?? 0) - (element.expiresMs ?? 0)) > toleranceMs || current.comment !== element.comment) {
      diff.drift++;
      diff.groups.push(replaceGroup(element));
    }
  }
  for (const [id, element] of inKernel) {
    if (wanted.has(id) || skip(element.key)) continue;
    // Keys come from nft's own JSON; the check only keeps anything odd out of the next batch.
    if (!KERNEL_KEY.test(element.key)) continue;
    diff.extra++;
    diff.groups.push({ key: element.key, changes: [{ op: 'delete', element: { set: element.set, key: element.key } }] });
  }
  return diff;
}
