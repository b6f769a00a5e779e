import { FlowguardError, type ErrorCatalogueEntry } from './index.ts';

/**
 * Coded errors of the enforcement area (`src/enforce`): address checks, the block store, the
 * `nft` child process and the errors the kernel returns for a batch.
 */
export const ENFORCE_ERRORS = {
  INVALID_TARGET: { code: 'FG_ERR_ENFORCE_INVALID_TARGET', statusCode: 400, summary: 'A block target is not an IPv4 or IPv6 address or CIDR prefix.' },
  PROTECTED_TARGET: { code: 'FG_ERR_ENFORCE_PROTECTED_TARGET', statusCode: 409, summary: 'A block target overlaps loopback, an unspecified address or the allowlist.' },
  INVALID_REQUEST: { code: 'FG_ERR_ENFORCE_INVALID_REQUEST', statusCode: 400, summary: 'A block request has an invalid duration, decision id or reason.' },
  PREFIX_OVERLAP: { code: 'FG_ERR_ENFORCE_PREFIX_OVERLAP', statusCode: 409, summary: 'A prefix block overlaps another prefix block of a different length.' },
  CAPACITY: { code: 'FG_ERR_ENFORCE_CAPACITY', statusCode: 503, summary: 'The configured cap of active blocks for one set is reached.' },
  SET_FULL: { code: 'FG_ERR_ENFORCE_SET_FULL', statusCode: 503, summary: 'The kernel set is full (nft reports ENFILE, "Too many open files in system").' },
  ELEMENT_REJECTED: { code: 'FG_ERR_ENFORCE_ELEMENT_REJECTED', statusCode: 422, summary: 'nft rejected one element of a batch; the rest of the batch was applied.' },
  QUEUE_FULL: { code: 'FG_ERR_ENFORCE_QUEUE_FULL', statusCode: 503, summary: 'The writer queue holds its maximum of pending changes.' },
  INVALID_OPTIONS: { code: 'FG_ERR_ENFORCE_INVALID_OPTIONS', statusCode: 400, summary: 'The enforcement options do not match their schema.' },
  NOT_RUNNING: { code: 'FG_ERR_ENFORCE_NOT_RUNNING', statusCode: 503, summary: 'The enforcer is not running, so it cannot take changes.' },
  COMMAND_FAILED: { code: 'FG_ERR_ENFORCE_COMMAND_FAILED', statusCode: 500, summary: 'A child process (nft) exited with a non-zero code.' },
  COMMAND_TIMEOUT: { code: 'FG_ERR_ENFORCE_COMMAND_TIMEOUT', statusCode: 504, summary: 'A child process (nft) did not finish within its timeout.' },
  COMMAND_ABORTED: { code: 'FG_ERR_ENFORCE_COMMAND_ABORTED', statusCode: 503, summary: 'A child process (nft) was stopped through its abort signal.' },
  COMMAND_NOT_FOUND: { code: 'FG_ERR_ENFORCE_COMMAND_NOT_FOUND', statusCode: 500, summary: 'The executable of a child process could not be started.' },
  OUTPUT_TOO_LARGE: { code: 'FG_ERR_ENFORCE_OUTPUT_TOO_LARGE', statusCode: 500, summary: 'A child process wrote more than the output cap.' },
  STORE_CORRUPT: { code: 'FG_ERR_ENFORCE_STORE_CORRUPT', statusCode: 500, summary: 'The block store snapshot under the state directory cannot be parsed.' },
  KERNEL_STATE: { code: 'FG_ERR_ENFORCE_KERNEL_STATE', statusCode: 500, summary: 'The JSON that `nft -j list` printed has an unexpected shape.' },
} as const satisfies Record<string, ErrorCatalogueEntry>;

export type EnforceErrorName = keyof typeof ENFORCE_ERRORS;

/** Raised by `src/enforce`; `code` is one of `ENFORCE_ERRORS`. */
export class EnforceError extends FlowguardError {
  constructor(name: EnforceErrorName, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    const entry = ENFORCE_ERRORS[name];
    super(entry.code, message, { statusCode: entry.statusCode, ...options });
    this.name = 'EnforceError';
  }
}

export function enforceError(name: EnforceErrorName, message: string, details: Record<string, unknown> = {}, cause?: unknown): EnforceError {
  return new EnforceError(name, message, { details, cause });
}
