import { EventEmitter } from 'node:events';

export type ComponentState = 'created' | 'starting' | 'running' | 'closing' | 'closed' | 'destroyed' | 'failed';

/**
 * Lifecycle shared by every long-lived component: `start()`, a graceful `close()` that stops
 * intake, drains and flushes, and an immediate `destroy(err)`. All three are safe to call twice;
 * a second call returns the first call's promise.
 *
 * Subclasses implement the three hooks. A component that fails on its own calls `fail(err)`,
 * which emits 'error' once so the supervisor can log it and mark health degraded.
 */
export abstract class Component extends EventEmitter {
  readonly name: string;
  #state: ComponentState = 'created';
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #destroying: Promise<void> | undefined;
  #failure: Error | undefined;

  constructor(name: string) {
    super();
    this.name = name;
  }

  get state(): ComponentState {
    return this.#state;
  }

  /** The error that made the component fail, if it did. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  start(): Promise<void> {
    if (this.#starting) return this.#starting;
    if (this.#state !== 'created') {
      return Promise.reject(new Error(`${this.name}: start() called in state '${this.#state}'`));
    }
    this.#state = 'starting';
    this.#starting = this.onStart().then(
      () => {
        if (this.#state === 'starting') this.#state = 'running';
      },
      (err: unknown) => {
        this.#state = 'failed';
        this.#failure = toError(err);
        throw err;
      },
    );
    return this.#starting;
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#destroying) return this.#destroying;
    if (this.#state === 'created') {
      this.#state = 'closed';
      this.#closing = Promise.resolve();
      return this.#closing;
    }
    this.#state = 'closing';
    this.#closing = (this.#starting ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.onClose())
      .then(() => {
        if (this.#state === 'closing') this.#state = 'closed';
      });
    return this.#closing;
  }

  destroy(err?: Error): Promise<void> {
    if (this.#destroying) return this.#destroying;
    if (err) this.#failure = err;
    this.#state = 'destroyed';
    this.#destroying = Promise.resolve().then(() => this.onDestroy(err));
    return this.#destroying;
  }

  /** Records a failure found while running and reports it to listeners of 'error'. */
  protected fail(err: unknown): void {
    if (this.#state === 'failed' || this.#state === 'destroyed') return;
    this.#failure = toError(err);
    this.#state = 'failed';
    if (this.listenerCount('error') > 0) this.emit('error', this.#failure);
  }

  protected abstract onStart(): Promise<void>;
  protected abstract onClose(): Promise<void>;
  protected abstract onDestroy(err?: Error): Promise<void>;
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
