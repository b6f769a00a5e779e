import { FlowguardError, type ErrorCatalogueEntry } from './index.ts';

/** Coded errors of the capture area: capture files, link types and live capture. */
export const CAPTURE_ERRORS = {
  FILE_OPEN: { code: 'FG_ERR_CAPTURE_FILE_OPEN', statusCode: 400, summary: 'The capture file cannot be opened or read.' },
  FILE_FORMAT: { code: 'FG_ERR_CAPTURE_FILE_FORMAT', statusCode: 400, summary: 'The capture file header is invalid or of an unknown format.' },
  LINK_TYPE_UNSUPPORTED: { code: 'FG_ERR_CAPTURE_LINK_TYPE_UNSUPPORTED', statusCode: 400, summary: 'The capture uses a link type the decoder does not handle.' },
  LIVE_OPEN: { code: 'FG_ERR_CAPTURE_LIVE_OPEN', statusCode: 500, summary: 'libpcap could not open the interface for live capture.' },
  LIVE_PROCESS: { code: 'FG_ERR_CAPTURE_LIVE_PROCESS', statusCode: 500, summary: 'The live-capture child process failed or exited.' },
  OPTIONS: { code: 'FG_ERR_CAPTURE_OPTIONS', statusCode: 400, summary: 'A capture option is out of range.' },
} as const satisfies Record<string, ErrorCatalogueEntry>;

export type CaptureErrorKey = keyof typeof CAPTURE_ERRORS;

export class CaptureError extends FlowguardError {
  constructor(key: CaptureErrorKey, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    const entry = CAPTURE_ERRORS[key];
    super(entry.code, message, { statusCode: entry.statusCode, details, cause });
    this.name = 'CaptureError';
  }
}

export function fileOpenError(path: string, cause: unknown): CaptureError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CaptureError('FILE_OPEN', `cannot read capture file '${path}': ${reason}. Check the path and its permissions.`, { path }, cause);
}

/** A capture file whose header breaks the pcap or pcapng format; `problem` describes the violation. */
export function fileFormatError(path: string, problem: string): CaptureError {
  return new CaptureError(
    'FILE_FORMAT',
    `invalid capture file '${path}': ${problem}. Only classic pcap and pcapng files are read; rewrite the file with 'editcap' or capture it again.`,
    { path, problem },
  );
}

export function linkTypeUnsupportedError(linkType: number, where: string): CaptureError {
  return new CaptureError(
    'LINK_TYPE_UNSUPPORTED',
    `${where} uses link type ${linkType}, which the decoder does not handle. Supported: Ethernet (1), BSD null (0), OpenBSD loop (108), raw IP (12, 14, 101), IPv4 (228), IPv6 (229), Linux cooked v1 (113) and v2 (276), NFLOG (239); convert the capture with 'editcap -T' or capture on an Ethernet or cooked interface.`,
    { linkType, where },
  );
}

export function liveOpenError(device: string, cause: unknown): CaptureError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CaptureError(
    'LIVE_OPEN',
    `cannot capture on interface '${device}': ${reason}. Check that the interface exists ('ip link') and that the process runs as root or has CAP_NET_RAW.`,
    { device },
    cause,
  );
}

export function liveProcessError(device: string, reason: string, cause?: unknown): CaptureError {
  return new CaptureError('LIVE_PROCESS', `live capture on '${device}' stopped: ${reason}. See the log for the capture process's error and restart the capture.`, { device }, cause);
}

export function captureOptionError(name: string, value: unknown, rule: string): CaptureError {
  return new CaptureError('OPTIONS', `invalid capture option ${name}=${JSON.stringify(value)}: ${rule}.`, { name, value });
}
