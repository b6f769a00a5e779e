import { execa, type ResultPromise } from 'execa';
import { labError } from '../src/errors/lab.ts';

const OUTPUT_LIMIT_BYTES = 1024 * 1024;

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  /** Return the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by a timeout) and returns its output. */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await execa(command, args, {
    reject: false,
    timeout: options.timeoutMs ?? 30_000,
    input: options.input,
    maxBuffer: OUTPUT_LIMIT_BYTES,
  });
  if (result.failed && result.exitCode === undefined && (result as { code?: string }).code === 'ENOENT') {
    throw labError('FG_ERR_LAB_TOOL_MISSING', `'${command}' is not installed; install the Debian packages in scripts/debian-packages.txt.`, { command });
  }
  const exitCode = result.exitCode ?? -1;
  const out = { exitCode, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
  if (exitCode !== 0 && !options.allowFailure) {
    throw labError(
      'FG_ERR_LAB_COMMAND_FAILED',
      `'${command} ${args.join(' ')}' failed with exit code ${exitCode}${result.timedOut ? ' (timed out)' : ''}: ${out.stderr.trim().slice(0, 500)}`,
      { command, args, exitCode },
    );
  }
  return out;
}

/** Runs `ip ARGS`, throwing a coded error on failure. */
export function ip(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run('ip', args, options);
}

/** Runs a command inside a network namespace. */
export function nsRun(namespace: string, command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run('ip', ['netns', 'exec', namespace, command, ...args], options);
}

export interface SpawnOptions {
  /** Hard limit: the process gets SIGTERM at this age and SIGKILL 2 s later. */
  timeoutMs: number;
  cwd?: string;
}

/**
 * Starts a long-running command inside a namespace. `ip netns exec` replaces itself with the
 * command, so the returned process id is the command's own.
 */
export function nsSpawn(namespace: string, command: string, args: string[], options: SpawnOptions): ResultPromise {
  return execa('ip', ['netns', 'exec', namespace, command, ...args], {
    reject: false,
    timeout: options.timeoutMs,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: 2_000,
    cwd: options.cwd,
    buffer: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
}

/** Polls `check` every `intervalMs` until it returns true or the deadline passes. */
export async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw labError('FG_ERR_LAB_TIMEOUT', `${what} did not happen within ${timeoutMs} ms; check the lab log and the tool's stderr.`, { what, timeoutMs });
}
