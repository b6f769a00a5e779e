import { isFlowguardError, type FlowguardError } from '../errors/index.ts';
import { enforceError } from '../errors/enforce.ts';
import type { ChangeGroup, EnforceBackend } from './backend.ts';

export interface RejectedGroup {
  group: ChangeGroup;
  error: FlowguardError;
}

export interface BatchOutcome {
  applied: ChangeGroup[];
  rejected: RejectedGroup[];
  /** nft check runs the bisection needed; 0 when the batch went through first time. */
  checks: number;
}

/**
 * Applies a batch. When nft rejects it, bisects with `nft -c` (which commits nothing) to find
 * the groups nft rejects on their own, then applies the rest and returns both lists.
 *
 * Throws when the failure is not tied to an element: a timeout, a missing binary, a missing
 * table, or a batch whose every part passes the check (a transient kernel error). The caller
 * retries those.
 */
export async function applyWithBisection(backend: EnforceBackend, groups: readonly ChangeGroup[]): Promise<BatchOutcome> {
  if (groups.length === 0) return { applied: [], rejected: [], checks: 0 };
  try {
    await backend.apply(groups);
    return { applied: [...groups], rejected: [], checks: 0 };
  } catch (err) {
    if (!isFlowguardError(err, 'FG_ERR_ENFORCE_COMMAND_FAILED')) throw err;
    if (isTransient(err)) throw err;
    // Without our table every element fails; bisecting would blame them all.
    if (/No such file or directory/.test(String(err.details.stderr ?? '')) && !(await backend.tableExists())) throw err;
    if (isSetFull(err)) return applyWithoutAdds(backend, groups, err);
    const counter = { checks: 0 };
    const rejected = await findRejected(backend, groups, counter);
    if (rejected.length === 0) throw err;
    const rejectedSet = new Set(rejected.map((entry) => entry.group));
    const rest = groups.filter((group) => !rejectedSet.has(group));
    if (rest.length > 0) await backend.apply(rest);
    return { applied: rest, rejected, checks: counter.checks };
  }
}

/**
 * Detects kernel errors unrelated to any element (EBUSY, EAGAIN, ENOMEM, ENOBUFS, EINTR).
 * Bisecting on them would blame valid elements, so the whole batch is retried instead.
 */
export function isTransient(err: FlowguardError): boolean {
  return /Device or resource busy|Resource temporarily unavailable|Cannot allocate memory|No buffer space available|Interrupted system call/.test(
    String(err.details.stderr ?? ''),
  );
}

/** nft 1.0.6 reports a full set as ENFILE, "Too many open files in system". */
export function isSetFull(err: FlowguardError): boolean {
  return /Too many open files in system/.test(String(err.details.stderr ?? ''));
}

/** Applies only the groups without adds, because a full set rejects every add; the adds fail with SET_FULL. */
async function applyWithoutAdds(backend: EnforceBackend, groups: readonly ChangeGroup[], err: FlowguardError): Promise<BatchOutcome> {
  const error = enforceError(
    'SET_FULL',
    `A kernel set of our table is full (nft: ${String(err.details.stderr)}); keep maxElementsPerSet below setSize or raise setSize.`,
    { stderr: err.details.stderr },
    err,
  );
  const withAdds = groups.filter((group) => group.changes.some((change) => change.op === 'add'));
  const addSet = new Set(withAdds);
  const rest = groups.filter((group) => !addSet.has(group));
  if (rest.length > 0) await backend.apply(rest);
  return { applied: rest, rejected: withAdds.map((group) => ({ group, error })), checks: 0 };
}

async function findRejected(backend: EnforceBackend, groups: readonly ChangeGroup[], counter: { checks: number }): Promise<RejectedGroup[]> {
  counter.checks++;
  try {
    await backend.check(groups);
    return [];
  } catch (err) {
    if (!isFlowguardError(err, 'FG_ERR_ENFORCE_COMMAND_FAILED') || isTransient(err)) throw err;
    if (groups.length === 1) return [{ group: groups[0], error: err }];
    const middle = Math.ceil(groups.length / 2);
    const left = await findRejected(backend, groups.slice(0, middle), counter);
    const right = await findRejected(backend, groups.slice(middle), counter);
    return [...left, ...right];
  }
}
