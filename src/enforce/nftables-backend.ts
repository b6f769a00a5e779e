import { isFlowguardError } from '../errors/index.ts';
import { TRAP_SETS, type ChangeGroup, CounterValue, EnforceBackend, KernelState, SetElement } from './backend.ts';
import { renderChanges, renderInstall, type TableLayout } from './nft-script.ts';
import { parseCountersJson, parseTableJson } from './nft-state.ts';
import { runCommand, startStreamingCommand, type StreamingCommand } from './run-command.ts';

export interface NftablesBackendOptions {
  layout: TableLayout;
  nftPath: string;
  /** Runs nft inside this network namespace through `ip netns exec`. */
  netns?: string;
  commandTimeoutMs: number;
  maxOutputBytes?: number;
}

/** Backend that drives the `nft` binary with one batch on standard input per call. */
export class NftablesBackend implements EnforceBackend {
  readonly kind = 'nftables';
  readonly layout: TableLayout;
  #options: NftablesBackendOptions;
  #spawned = 0;

  constructor(options: NftablesBackendOptions) {
    this.#options = options;
    this.layout = options.layout;
  }

  get processesSpawned(): number {
    return this.#spawned;
  }

  async install(restore: readonly SetElement[]): Promise<void> {
    await this.#nft(['-f', '-'], renderInstall(this.layout, restore));
  }

  async apply(groups: readonly ChangeGroup[]): Promise<void> {
    const script = renderChanges(this.layout.family, this.layout.name, groups);
    if (script !== '') await this.#nft(['-f', '-'], script);
  }

  async check(groups: readonly ChangeGroup[]): Promise<void> {
    const script = renderChanges(this.layout.family, this.layout.name, groups);
    if (script !== '') await this.#nft(['-c', '-f', '-'], script);
  }

  async read(): Promise<KernelState | undefined> {
    try {
      const { stdout } = await this.#nft(['-j', 'list', 'table', this.layout.family, this.layout.name]);
      return parseTableJson(stdout);
    } catch (err) {
      if (isMissingTable(err)) return undefined;
      throw err;
    }
  }

  async readCounters(): Promise<Record<string, CounterValue>> {
    try {
      const { stdout } = await this.#nft(['-j', 'list', 'counters', 'table', this.layout.family, this.layout.name]);
      return parseCountersJson(stdout);
    } catch (err) {
      if (isMissingTable(err)) return {};
      throw err;
    }
  }

  async readTrapped(): Promise<KernelState['trapped']> {
    if (!this.layout.synTrap.enabled) return [];
    const trapped: KernelState['trapped'] = [];
    for (const set of TRAP_SETS) {
      try {
        const { stdout } = await this.#nft(['-j', 'list', 'set', this.layout.family, this.layout.name, set]);
        trapped.push(...parseTableJson(stdout).trapped);
      } catch (err) {
        if (!isMissingTable(err)) throw err;
      }
    }
    return trapped;
  }

  async tableExists(): Promise<boolean> {
    try {
      await this.#nft(['-j', 'list', 'counters', 'table', this.layout.family, this.layout.name]);
      return true;
    } catch (err) {
      if (isMissingTable(err)) return false;
      throw err;
    }
  }

  async uninstall(): Promise<void> {
    // Create-then-delete in one batch succeeds whether or not the table exists.
    const { family, name } = this.layout;
    await this.#nft(['-f', '-'], `table ${family} ${name} {}\ndelete table ${family} ${name}\n`);
  }

  /** Starts `nft -j monitor` and calls `onEvent` with each parsed event line. */
  monitor(onEvent: (event: Record<string, unknown>) => void): StreamingCommand {
    this.#spawned++;
    const [file, args] = this.#command(['-j', 'monitor']);
    return startStreamingCommand(file, args, (line) => {
      try {
        onEvent(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // NOTE: nft 1.0.6 prints a few non-JSON lines (for example "# new generation"); skipping them loses nothing we match on.
      }
    });
  }

  #command(args: string[]): [string, string[]] {
    const { netns, nftPath } = this.#options;
    return netns === undefined ? [nftPath, args] : ['ip', ['netns', 'exec', netns, nftPath, ...args]];
  }

  #nft(args: string[], input?: string) {
    this.#spawned++;
    const [file, argv] = this.#command(args);
    return runCommand(file, argv, { input, timeoutMs: this.#options.commandTimeoutMs, maxOutputBytes: this.#options.maxOutputBytes });
  }
}

function isMissingTable(err: unknown): boolean {
  return isFlowguardError(err, 'FG_ERR_ENFORCE_COMMAND_FAILED') && /No such file or directory/.test(String(err.details.stderr));
}
