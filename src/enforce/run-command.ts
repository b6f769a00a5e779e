import { execa } from 'execa';
import { enforceError } from '../errors/enforce.ts';

export interface RunCommandOptions {
  /** Text written to the child's standard input, for example a whole `nft -f -` batch. */
  input?: string;
  /** The child is killed with SIGTERM, then SIGKILL after 2 s, when it runs longer than this. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Cap on each of stdout and stderr; the child is killed when it writes more. */
  maxOutputBytes?: number;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  durationMs: number;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** Characters of stderr kept in an error message; nft repeats the whole failing line, which can be long. */
const STDERR_LIMIT_CHARS = 2_000;

/**
 * Runs one executable with an argv array (never through a shell) and returns its output.
 *
 * Rejects with a coded `EnforceError`: COMMAND_FAILED carries the exit code and trimmed stderr,
 * COMMAND_TIMEOUT, COMMAND_ABORTED, OUTPUT_TOO_LARGE and COMMAND_NOT_FOUND name the command.
 */
export async function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const result = await execa(file, args, {
    input: options.input ?? '',
    timeout: timeoutMs,
    cancelSignal: options.signal,
    maxBuffer: maxOutputBytes,
    forceKillAfterDelay: 2_000,
    reject: false,
    stripFinalNewline: false,
    encoding: 'utf8',
  });

  const durationMs = performance.now() - started;
  const command = [file, ...args].join(' ');
  const stderr = trimStderr(String(result.stderr ?? ''));
  const details = { command, exitCode: result.exitCode, stderr, durationMs };
  if (result.timedOut) {
    throw enforceError('COMMAND_TIMEOUT', `Command "${command}" timed out after ${timeoutMs} ms; check that it is not blocked on a lock, or raise the timeout.`, details);
  }
  if (result.isCanceled) {
    throw enforceError('COMMAND_ABORTED', `Command "${command}" was aborted through its signal before it finished.`, details);
  }
  if (result.isMaxBuffer) {
    throw enforceError('OUTPUT_TOO_LARGE', `Command "${command}" wrote more than ${maxOutputBytes} bytes to stdout or stderr; raise maxOutputBytes if the output is expected.`, details);
  }

  const spawnCode = (result as { code?: string }).code;
  if (result.exitCode === undefined && spawnCode !== undefined) {
    throw enforceError('COMMAND_NOT_FOUND', `Command "${command}" could not be started (${spawnCode}); install it or fix the path.`, { ...details, spawnCode });
  }
  if (result.failed) {
    throw enforceError('COMMAND_FAILED', `Command "${command}" failed with exit code ${result.exitCode ?? 'none'}: ${stderr || '(no stderr)'}`, details);
  }
  return { stdout: String(result.stdout ?? ''), stderr, durationMs };
}

export interface StreamingCommand {
  /** Resolves when the child exits, for any reason; never rejects. */
  readonly exited: Promise<{ exitCode: number | undefined; stderr: string }>;
  stop(): void;
}

/**
 * Starts a long-running executable (argv array, no shell) and calls `onLine` for every line of
 * its standard output. Lines longer than `maxLineBytes` are dropped, so one runaway line cannot
 * grow memory without bound.
 */
export function startStreamingCommand(
  file: string,
  args: readonly string[],
  onLine: (line: string) => void,
  options: { maxLineBytes?: number } = {},
): StreamingCommand {
  const maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
  const controller = new AbortController();
  const child = execa(file, args, {
    cancelSignal: controller.signal,
    forceKillAfterDelay: 2_000,
    reject: false,
    buffer: { stdout: false, stderr: true },
    maxBuffer: { stderr: 64 * 1024 },
    stdin: 'ignore',
  });
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.length > 0) onLine(line);
      newline = pending.indexOf('\n');
    }
    if (pending.length > maxLineBytes) pending = '';
  });
  const exited = child.then((result) => ({ exitCode: result.exitCode, stderr: trimStderr(String(result.stderr ?? '')) }));
  return { exited, stop: () => controller.abort() };
}

function trimStderr(stderr: string): string {
  const trimmed = stderr.trim();
  return trimmed.length > STDERR_LIMIT_CHARS ? `${trimmed.slice(0, STDERR_LIMIT_CHARS)}…` : trimmed;
}
