import { readFileSync, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { nsRun, waitFor } from '../exec.ts';
import { REPO_ROOT } from '../topology.ts';

export interface ApiResponse {
  status: number;
  body: unknown;
}

export interface GatewayProcessOptions {
  namespace: string;
  configFile: string;
  logFile: string;
  apiPort: number;
  apiToken: string;
  /** Hard bound on the process's life; it gets SIGTERM then SIGKILL past it. */
  maxLifetimeMs: number;
}

/**
 * One `node bin/flowguard.js run --config F` inside the gateway namespace. `ip netns exec`
 * replaces itself with node, so the child's pid is the gateway's own (for RSS and signals).
 * The API listens on loopback inside that namespace; requests go through `ip netns exec NS curl`.
 */
export class GatewayProcess {
  readonly options: GatewayProcessOptions;
  #child: ResultPromise | undefined;
  #exit: Promise<{ exitCode: number | undefined; signal: string | undefined }> | undefined;
  #stderrTail = '';

  constructor(options: GatewayProcessOptions) {
    this.options = options;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /**
   * Starts the gateway and waits until GET /health reports every component running. The API
   * starts before capture, so it reports `degraded` ("capture … is starting") for a moment.
   */
  async start(healthTimeoutMs = 60_000): Promise<void> {
    this.#child = execa('ip', ['netns', 'exec', this.options.namespace, process.execPath, join(REPO_ROOT, 'bin/flowguard.js'), 'run', '--config', this.options.configFile], {
        reject: false,
        cwd: REPO_ROOT,
        timeout: this.options.maxLifetimeMs,
        killSignal: 'SIGTERM',
        forceKillAfterDelay: 5_000,
        stdin: 'ignore',
        // The gateway logs to its log file; standard output carries nothing.
        stdout: 'ignore',
        stderr: 'pipe',
        buffer: false,
      });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString()).slice(-4_000);
    });
    const child = this.#child;
    this.#exit = child.then((result) => ({ exitCode: result.exitCode, signal: result.signal }));
    await waitFor(
      async () => {
        if (!this.running) throw new Error(`the gateway exited before its API answered: ${this.#stderrTail.trim() || this.logTail()}`);
        const health = await this.api('GET', '/health').catch(() => undefined);
        return (health?.body as { status?: string } | undefined)?.status === 'ok';
      },
      'the gateway API answering GET /health with status ok',
      healthTimeoutMs,
      200,
    );
  }

  /** Sends SIGTERM and waits for a graceful exit; returns its exit code and the time it took. */
  async stop(timeoutMs = 30_000): Promise<{ exitCode: number | undefined; signal: string | undefined; stopMs: number }> {
    if (!this.#child || !this.#exit) return { exitCode: undefined, signal: undefined, stopMs: 0 };
    const startedAt = Date.now();
    this.#child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.#exit, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.#child.kill('SIGKILL');
      const killed = await this.#exit;
      return { ...killed, stopMs: Date.now() - startedAt };
    }
    return { ...result, stopMs: Date.now() - startedAt };
  }

  /** Resident set size of the gateway process (not its capture child), in bytes. */
  rssBytes(): number | undefined {
    const pid = this.pid;
    if (pid === undefined || !existsSync(`/proc/${pid}/status`)) return undefined;
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  }

  /** Resident set size of the gateway and every process below it (the capture child), in bytes. */
  async treeRssBytes(): Promise<number | undefined> {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    const result = await execa('ps', ['-o', 'rss=', '--ppid', String(pid)], { reject: false });
    const children = String(result.stdout).split('\n').map((line) => Number(line.trim()) * 1024).filter((value) => Number.isFinite(value) && value > 0);
    return (this.rssBytes() ?? 0) + children.reduce((sum, value) => sum + value, 0);
  }

  /** One API request from inside the gateway namespace. Throws when curl fails (API down or timed out). */
  async api(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<ApiResponse> {
    const args = ['-s', '-m', '5', '-X', method, '-w', '\n%{http_code}', '-H', `Authorization: Bearer ${this.options.apiToken}`, '-H', 'X-Flowguard-Actor: e2e'];
    if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body));
    args.push(`http://127.0.0.1:${this.options.apiPort}${path}`);
    const result = await nsRun(this.options.namespace, 'curl', args, { allowFailure: true, timeoutMs: 10_000 });
    if (result.exitCode !== 0) throw new Error(`curl ${method} ${path} failed with exit code ${result.exitCode}: ${result.stderr.trim()}`);
    const cut = result.stdout.lastIndexOf('\n');
    const text = result.stdout.slice(0, cut);
    const status = Number(result.stdout.slice(cut + 1));
    let parsed: unknown = text;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      // Non-JSON bodies (metrics) stay text.
    }
    return { status, body: parsed };
  }

  /** Parsed JSON lines of the gateway's log file. */
  logRecords(): Record<string, unknown>[] {
    if (!existsSync(this.options.logFile)) return [];
    return readFileSync(this.options.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }

  logTail(lines = 20): string {
    if (!existsSync(this.options.logFile)) return '(no log file)';
    return readFileSync(this.options.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
  }

  get stderrTail(): string {
    return this.#stderrTail;
  }
}

export async function writeConfigFile(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
}
