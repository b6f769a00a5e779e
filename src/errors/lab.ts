import { FlowguardError, type ErrorCatalogueEntry } from './index.ts';

/**
 * Coded errors of the network-namespace lab and of `flowguard dataset`, which reads the lab's
 * labels files.
 */
export const LAB_ERRORS = {
  FG_ERR_LAB_NOT_ROOT: { code: 'FG_ERR_LAB_NOT_ROOT', statusCode: 500, summary: 'The lab needs root to create network namespaces.' },
  FG_ERR_LAB_TOOL_MISSING: { code: 'FG_ERR_LAB_TOOL_MISSING', statusCode: 500, summary: 'A program the lab runs is not installed.' },
  FG_ERR_LAB_COMMAND_FAILED: { code: 'FG_ERR_LAB_COMMAND_FAILED', statusCode: 500, summary: 'A command the lab ran exited with an error.' },
  FG_ERR_LAB_ADDRESS_OUTSIDE: { code: 'FG_ERR_LAB_ADDRESS_OUTSIDE', statusCode: 400, summary: 'A traffic target lies outside the lab address ranges.' },
  FG_ERR_LAB_UNKNOWN_SCENARIO: { code: 'FG_ERR_LAB_UNKNOWN_SCENARIO', statusCode: 400, summary: 'No scenario has this name.' },
  FG_ERR_LAB_BAD_OPTION: { code: 'FG_ERR_LAB_BAD_OPTION', statusCode: 400, summary: 'A lab option or scenario parameter is invalid.' },
  FG_ERR_LAB_TIMEOUT: { code: 'FG_ERR_LAB_TIMEOUT', statusCode: 500, summary: 'A lab process did not become ready before its deadline.' },
  FG_ERR_LAB_LABELS_INVALID: { code: 'FG_ERR_LAB_LABELS_INVALID', statusCode: 400, summary: 'A labels file does not follow the lab labels format.' },
} as const satisfies Record<string, ErrorCatalogueEntry>;

export type LabErrorCode = keyof typeof LAB_ERRORS;

/** Creates a lab error; the message names the bad value, the rule and the fix. */
export function labError(code: LabErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): FlowguardError {
  return new FlowguardError(code, message, { statusCode: LAB_ERRORS[code].statusCode, details, cause });
}
