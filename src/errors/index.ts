/**
 * Base of every coded error flowguard raises on purpose.
 *
 * Each area keeps its catalogue in its own file beside this one (capture.ts, flow.ts, model.ts,
 * enforce.ts, api.ts, config.ts). A code reads `FG_ERR_<AREA>_<WHAT>`, so `switch (err.code)`
 * narrows, and every message names the bad value, the rule it broke and the fix.
 */
export type ErrorArea = 'CAPTURE' | 'FLOW' | 'MODEL' | 'ENFORCE' | 'API' | 'CONFIG' | 'LAB';

export class FlowguardError extends Error {
  readonly code: string;
  /** HTTP status the API answers with when this error reaches a route. */
  readonly statusCode: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { statusCode?: number; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FlowguardError';
    this.code = code;
    this.statusCode = options.statusCode ?? 500;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

/** Entry of an area's error catalogue: the code, its HTTP status and what it means. */
export interface ErrorCatalogueEntry {
  readonly code: string;
  readonly statusCode: number;
  readonly summary: string;
}

export function isFlowguardError(err: unknown, code?: string): err is FlowguardError {
  return err instanceof FlowguardError && (code === undefined || err.code === code);
}
