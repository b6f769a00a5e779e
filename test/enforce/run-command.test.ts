import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/enforce/run-command.ts';
import { isFlowguardError } from '../../src/errors/index.ts';

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the command to fail');
}

describe('runCommand', () => {
  it('passes standard input and returns stdout', async () => {
    const result = await runCommand('cat', [], { input: 'batch line\n' });
    expect(result.stdout).toBe('batch line\n');
  });

  it('keeps shell metacharacters as plain arguments', async () => {
    const result = await runCommand('printf', ['%s', '$(echo injected); true']);
    expect(result.stdout).toBe('$(echo injected); true');
  });

  it('reports exit code and trimmed stderr', async () => {
    const err = await rejection(runCommand('sh', ['-c', 'echo "  bad element  " >&2; exit 3']));
    expect(isFlowguardError(err, 'FG_ERR_ENFORCE_COMMAND_FAILED')).toBe(true);
    expect(err.details?.exitCode).toBe(3);
    expect(err.details?.stderr).toBe('bad element');
    expect(err.message).toContain('exit code 3');
  });

  it('kills a command at its timeout', async () => {
    const err = await rejection(runCommand('sleep', ['5'], { timeoutMs: 200 }));
    expect(isFlowguardError(err, 'FG_ERR_ENFORCE_COMMAND_TIMEOUT')).toBe(true);
  });

  it('stops a command through its abort signal', async () => {
    const controller = new AbortController();
    const pending = runCommand('sleep', ['5'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const err = await rejection(pending);
    expect(isFlowguardError(err, 'FG_ERR_ENFORCE_COMMAND_ABORTED')).toBe(true);
  });

  it('caps the output size', async () => {
    const err = await rejection(runCommand('head', ['-c', '100000', '/dev/zero'], { maxOutputBytes: 1_000 }));
    expect(isFlowguardError(err, 'FG_ERR_ENFORCE_OUTPUT_TOO_LARGE')).toBe(true);
  });

  it('reports a missing executable', async () => {
    const err = await rejection(runCommand('/nonexistent/nft', ['-f', '-']));
    expect(isFlowguardError(err, 'FG_ERR_ENFORCE_COMMAND_NOT_FOUND')).toBe(true);
    expect(err.message).toContain('/nonexistent/nft');
  });
});
