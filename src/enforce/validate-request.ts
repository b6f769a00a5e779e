import { enforceError } from '../errors/enforce.ts';
import type { BlockOrigin, BlockRequest } from './block.ts';
import { isValidComment } from './nft-script.ts';
import { parseTarget, targetRange, targetsOverlap, type Target, type TargetRules } from './target.ts';

const ORIGINS: readonly BlockOrigin[] = ['auto', 'manual', 'kernel-ratelimit'];
/** Ranges no source block may touch: blocking them breaks the host or matches nothing useful. */
const PROTECTED_RANGES = new Set(['loopback', 'unspecified', 'multicast', 'broadcast']);
const MAX_REASON_CHARS = 1_024;

export interface ValidatedRequest {
  target: Target;
  /** Requested duration, shortened to the configured maximum. */
  durationMs: number;
  clamped: boolean;
}

/** Checks a block request field by field and normalises its target; throws a coded error naming the bad value. */
export function validateBlockRequest(
  request: BlockRequest,
  rules: TargetRules & { maxTimeoutMs: number; allowlist: readonly Target[] },
): ValidatedRequest {
  const target = parseTarget(request.target, rules);
  const range = targetRange(target);
  if (PROTECTED_RANGES.has(range)) {
    throw enforceError('PROTECTED_TARGET', `Block target ${request.target} is in the ${range} range, which is never blocked; pick a unicast source.`, { target: request.target, range });
  }
  const allowed = rules.allowlist.find((entry) => targetsOverlap(entry, target));
  if (allowed) {
    throw enforceError('PROTECTED_TARGET', `Block target ${request.target} overlaps ${allowed.key}, which is on the allowlist or is an address of this gateway; remove it from the allowlist first if the block is intended.`, {
      target: request.target,
      allowlistEntry: allowed.key,
    });
  }
  if (typeof request.durationMs !== 'number' || !Number.isFinite(request.durationMs) || request.durationMs < 1_000) {
    throw invalidRequest(request, `durationMs ${String(request.durationMs)} is invalid; give a finite number of at least 1000 ms`);
  }
  if (typeof request.decisionId !== 'string' || !isValidComment(request.decisionId)) {
    throw invalidRequest(request, `decisionId ${JSON.stringify(request.decisionId)} is invalid; use 1 to 100 characters from A-Z a-z 0-9 . _ : @ / + -`);
  }
  if (!ORIGINS.includes(request.origin)) {
    throw invalidRequest(request, `origin ${JSON.stringify(request.origin)} is invalid; use one of ${ORIGINS.join(', ')}`);
  }
  if (typeof request.reason !== 'string' || request.reason.length > MAX_REASON_CHARS) {
    throw invalidRequest(request, `reason must be a string of at most ${MAX_REASON_CHARS} characters`);
  }
  const durationMs = Math.min(Math.round(request.durationMs), rules.maxTimeoutMs);
  return { target, durationMs, clamped: durationMs < request.durationMs };
}

function invalidRequest(request: BlockRequest, rule: string) {
  return enforceError('INVALID_REQUEST', `Invalid block request for ${JSON.stringify(request.target)}: ${rule}.`, { target: request.target });
}
