import type { Logger } from '../log.ts';
import type { NftablesBackend } from './nftables-backend.ts';
import { monitorElementKeys } from './nft-state.ts';
import type { StreamingCommand } from './run-command.ts';

export interface TableMonitorHooks {
  /** True for element keys this process wrote recently, whose events are its own. */
  isOwnKey(key: string): boolean;
  /** Called for each event that shows a change to our table made by someone else. */
  onForeignChange(): void;
  /** Called when `nft monitor` exited and when it runs again (`reason` undefined). */
  onStatus(reason: string | undefined): void;
}

const MAX_RESTART_DELAY_MS = 60_000;

/**
 * Runs `nft -j monitor` for the life of the enforcer and reports foreign changes to our table.
 * A monitor that exits is restarted after 1 s, doubling up to a minute while it keeps failing,
 * so a broken nft does not flood the log.
 */
export class TableMonitor {
  readonly #backend: NftablesBackend;
  readonly #hooks: TableMonitorHooks;
  readonly #log: Logger;
  #running: StreamingCommand | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #restartDelayMs = 1_000;
  #stopped = false;

  constructor(backend: NftablesBackend, hooks: TableMonitorHooks, log: Logger) {
    this.#backend = backend;
    this.#hooks = hooks;
    this.#log = log;
  }

  start(): void {
    if (this.#stopped) return;
    const running = this.#backend.monitor((event) => this.#onEvent(event));
    this.#running = running;
    void running.exited.then(({ exitCode, stderr }) => {
      if (this.#running !== running || this.#stopped) return;
      const delayMs = this.#restartDelayMs;
      this.#restartDelayMs = Math.min(MAX_RESTART_DELAY_MS, delayMs * 2);
      this.#hooks.onStatus(`nft monitor exited (code ${String(exitCode)}): ${stderr}; restarting in ${delayMs} ms`);
      this.#log.warn({ exitCode, stderr, restartInMs: delayMs }, 'nft monitor exited');
      this.#restartTimer = setTimeout(() => {
        this.start();
        this.#hooks.onStatus(undefined);
        // Changes made while no monitor ran went unseen.
        this.#hooks.onForeignChange();
      }, delayMs);
      this.#restartTimer.unref();
    });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const running = this.#running;
    this.#running = undefined;
    running?.stop();
  }

  #onEvent(event: Record<string, unknown>): void {
    this.#restartDelayMs = 1_000;
    const { family, name } = this.#backend.layout;
    for (const [action, payload] of Object.entries(event)) {
      if (typeof payload !== 'object' || payload === null) continue;
      for (const [objectType, body] of Object.entries(payload as Record<string, Record<string, unknown>>)) {
        const table = objectType === 'table' ? body.name : body.table;
        if (body.family !== family || table !== name) continue;
        let foreign: boolean;
        if (objectType === 'element') {
          // The kernel fills the SYN-trap and meter sets itself.
          if (String(body.name).startsWith('syn')) continue;
          foreign = monitorElementKeys(body.elem).some((key) => !this.#hooks.isOwnKey(key));
        } else {
          // Our own reinstall also deletes objects; the reconciliation it triggers finds nothing to do.
          foreign = action === 'delete';
        }
        if (foreign) this.#hooks.onForeignChange();
      }
    }
  }
}
