import { FlowguardError, type ErrorCatalogueEntry } from './index.ts';

/** Error codes of the flow meter (`src/flows`) and of `flowguard extract`. */
export const FLOW_ERRORS = {
  invalidOptions: {
    code: 'FG_ERR_FLOW_INVALID_OPTIONS',
    statusCode: 400,
    summary: 'Flow meter options do not match the schema (unknown key, wrong type or value out of range).',
  },
  invalidArgument: {
    code: 'FG_ERR_FLOW_INVALID_ARGUMENT',
    statusCode: 400,
    summary: 'A `flowguard extract` argument is missing or invalid.',
  },
  outputFailed: {
    code: 'FG_ERR_FLOW_OUTPUT_FAILED',
    statusCode: 500,
    summary: 'Writing flow records to the output file failed.',
  },
} as const satisfies Record<string, ErrorCatalogueEntry>;

export type FlowErrorCode = (typeof FLOW_ERRORS)[keyof typeof FLOW_ERRORS]['code'];

/** Builds the error for flow meter options that fail validation; `problems` lists every failure. */
export function invalidFlowOptionsError(problems: string[]): FlowguardError {
  const entry = FLOW_ERRORS.invalidOptions;
  return new FlowguardError(
    entry.code,
    `Invalid flow meter options: ${problems.join('; ')}. Fix these keys; the accepted keys, types and ranges are in FlowMeterOptionsSchema.`,
    { statusCode: entry.statusCode, details: { problems } },
  );
}

/** Builds the error for a flow output file that could not be opened or written. */
export function flowOutputError(path: string, cause: unknown): FlowguardError {
  const entry = FLOW_ERRORS.outputFailed;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new FlowguardError(
    entry.code,
    `Writing flow records to '${path}' failed: ${reason}. Check that the folder exists, is writable and has free space.`,
    { statusCode: entry.statusCode, details: { path }, cause },
  );
}

/** Builds the error for a missing or invalid `flowguard extract` argument. */
export function invalidExtractArgumentError(problem: string): FlowguardError {
  const entry = FLOW_ERRORS.invalidArgument;
  return new FlowguardError(entry.code, `${problem}. Run 'flowguard extract --help' for the options.`, { statusCode: entry.statusCode });
}
