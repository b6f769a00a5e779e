import { FlowguardError, type ErrorCatalogueEntry } from './index.ts';

/**
 * Coded errors of the REST API, its HTTP client and its webhooks. A gateway service may throw
 * `blockNotFound` and `blockRejected` too, because the API responds to any `FlowguardError` with
 * its status.
 */
export const API_ERRORS = {
  FG_ERR_API_INVALID_INPUT: { code: 'FG_ERR_API_INVALID_INPUT', statusCode: 400, summary: 'A request field has an invalid value or is not allowed.' },
  FG_ERR_API_UNAUTHORIZED: { code: 'FG_ERR_API_UNAUTHORIZED', statusCode: 401, summary: 'The bearer token is missing or wrong.' },
  FG_ERR_API_WRITES_DISABLED: { code: 'FG_ERR_API_WRITES_DISABLED', statusCode: 403, summary: 'No API token is configured, so state-changing routes are off.' },
  FG_ERR_API_HOST_REJECTED: { code: 'FG_ERR_API_HOST_REJECTED', statusCode: 403, summary: 'A loopback-only server got a request for a name that is not loopback.' },
  FG_ERR_API_BLOCK_NOT_FOUND: { code: 'FG_ERR_API_BLOCK_NOT_FOUND', statusCode: 404, summary: 'The address or prefix has no active block.' },
  FG_ERR_API_SOURCE_NOT_FOUND: { code: 'FG_ERR_API_SOURCE_NOT_FOUND', statusCode: 404, summary: 'The gateway has no flows, verdicts, decisions or blocks for the address.' },
  FG_ERR_API_NOT_FOUND: { code: 'FG_ERR_API_NOT_FOUND', statusCode: 404, summary: 'No route matches the method and path.' },
  FG_ERR_API_BLOCK_REJECTED: { code: 'FG_ERR_API_BLOCK_REJECTED', statusCode: 409, summary: 'The address may not be blocked (allowlisted, own address, or block table full).' },
  FG_ERR_API_STREAM_FULL: { code: 'FG_ERR_API_STREAM_FULL', statusCode: 503, summary: 'The live stream already has its maximum number of clients.' },
  FG_ERR_API_LISTEN_FAILED: { code: 'FG_ERR_API_LISTEN_FAILED', statusCode: 500, summary: 'The API server could not listen on its address and port.' },
  FG_ERR_API_OPTIONS_INVALID: { code: 'FG_ERR_API_OPTIONS_INVALID', statusCode: 500, summary: 'The API options do not match ApiOptionsSchema.' },
  FG_ERR_API_REQUEST_FAILED: { code: 'FG_ERR_API_REQUEST_FAILED', statusCode: 503, summary: 'The CLI client could not reach the gateway API.' },
  FG_ERR_API_CLI_USAGE: { code: 'FG_ERR_API_CLI_USAGE', statusCode: 400, summary: 'A CLI client command got unknown or missing options.' },
  FG_ERR_API_RESPONSE: { code: 'FG_ERR_API_RESPONSE', statusCode: 502, summary: 'The gateway API answered with an error status.' },
} as const satisfies Record<string, ErrorCatalogueEntry>;

export type ApiErrorCode = keyof typeof API_ERRORS;

function apiError(code: ApiErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): FlowguardError {
  return new FlowguardError(code, message, { statusCode: API_ERRORS[code].statusCode, details, cause });
}

/** Creates the error for a field that failed validation; `allowed` states the accepted form. */
export function invalidInput(field: string, value: unknown, allowed: string): FlowguardError {
  const quoted = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  return apiError('FG_ERR_API_INVALID_INPUT', `Invalid ${field} ${quoted}: expected ${allowed}.`, { field, value, allowed });
}

export function unknownField(field: string, allowed: readonly string[]): FlowguardError {
  const list = allowed.length > 0 ? `allowed fields are ${allowed.join(', ')}` : 'this request takes no fields';
  return apiError('FG_ERR_API_INVALID_INPUT', `Unknown ${field}: ${list}.`, { field, allowed });
}

export function missingField(field: string, allowed: string): FlowguardError {
  return apiError('FG_ERR_API_INVALID_INPUT', `Missing ${field}: expected ${allowed}.`, { field, allowed });
}

export function unauthorized(reason: 'missing' | 'wrong'): FlowguardError {
  const message =
    reason === 'missing'
      ? 'Missing bearer token: send the header "Authorization: Bearer <token>" with the API token.'
      : 'Wrong bearer token: the token does not match the configured API token.';
  return apiError('FG_ERR_API_UNAUTHORIZED', message, { reason });
}

export function writesDisabled(): FlowguardError {
  return apiError(
    'FG_ERR_API_WRITES_DISABLED',
    'State-changing routes are disabled because no API token is configured: set api.token in the config or FLOWGUARD_API_TOKEN.',
  );
}

export function hostRejected(host: string): FlowguardError {
  return apiError(
    'FG_ERR_API_HOST_REJECTED',
    `Host '${host}' rejected: the API listens on loopback only and accepts requests for localhost, 127.0.0.1 or [::1]. Use one of those names, or set api.listenAddress.`,
    { host },
  );
}

export function blockNotFound(target: string): FlowguardError {
  return apiError('FG_ERR_API_BLOCK_NOT_FOUND', `No active block for ${target}: list active blocks with GET /blocks?state=active.`, { target });
}

export function sourceNotFound(address: string): FlowguardError {
  return apiError('FG_ERR_API_SOURCE_NOT_FOUND', `Source ${address} not found: the gateway has no flows, verdicts, decisions or blocks for it.`, { address });
}

export function routeNotFound(method: string, url: string): FlowguardError {
  return apiError('FG_ERR_API_NOT_FOUND', `Route ${method} ${url} not found: GET /openapi.json lists every route.`, { method, url });
}

/** Reason a well-formed block request is rejected. */
export type BlockRejectReason = 'allowlisted' | 'own-address' | 'table-full';

export function blockRejected(target: string, reason: BlockRejectReason, detail: string): FlowguardError {
  return apiError('FG_ERR_API_BLOCK_REJECTED', `Cannot block ${target}: ${detail}`, { target, reason });
}

export function streamFull(maxClients: number): FlowguardError {
  return apiError(
    'FG_ERR_API_STREAM_FULL',
    `The live stream already has ${maxClients} clients (api.stream.maxClients): close another dashboard or raise the limit.`,
    { maxClients },
  );
}

export function optionsInvalid(problems: string[]): FlowguardError {
  return apiError('FG_ERR_API_OPTIONS_INVALID', `Invalid API options: ${problems.join('; ')}.`, { problems });
}

export function listenFailed(address: string, port: number, cause: unknown): FlowguardError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const hint =
    (cause as NodeJS.ErrnoException)?.code === 'EADDRINUSE'
      ? 'another process uses the port, so stop it or set api.port'
      : 'check that api.listenAddress is an address of this machine';
  return apiError('FG_ERR_API_LISTEN_FAILED', `Cannot listen on ${address} port ${port} (${reason}): ${hint}.`, { address, port }, cause);
}

export function requestFailed(url: string, cause: unknown): FlowguardError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return apiError(
    'FG_ERR_API_REQUEST_FAILED',
    `Request to ${url} failed (${reason}): check that the gateway runs and --url or FLOWGUARD_API_URL points at it.`,
    { url },
    cause,
  );
}

/** Creates the client-side error for an error response, keeping the server's code and message. */
export function responseError(url: string, statusCode: number, body: { code?: string; message?: string }): FlowguardError {
  const message = body.message ?? `HTTP ${statusCode}`;
  return new FlowguardError(body.code ?? 'FG_ERR_API_RESPONSE', `${message} (HTTP ${statusCode} from ${url})`, {
    statusCode,
    details: { url, statusCode },
  });
}

/** Builds the usage error for a CLI API URL (--url or FLOWGUARD_API_URL) that is not http(s). */
export function cliBadUrl(source: string, url: string, example: string): FlowguardError {
  return apiError('FG_ERR_API_CLI_USAGE', `Invalid ${source} '${url}': expected the gateway API's base URL, such as ${example}.`, { url });
}

export function cliUsage(command: string, problem: string): FlowguardError {
  return apiError('FG_ERR_API_CLI_USAGE', `${problem}. Run 'flowguard ${command} --help' for the options.`, { command });
}
