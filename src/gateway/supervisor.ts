import type { Logger } from 'pino';
import type { Component } from '../lifecycle.ts';

export interface ComponentHealth {
  name: string;
  state: Component['state'];
  error?: string;
}

/**
 * Starts components in the order given and stops them in reverse, so each one's consumers are
 * up before it produces and it is drained before they go. A component that fails while running
 * is logged and reported through `health()`; the others keep running.
 */
export class Supervisor {
  readonly #components: Component[] = [];
  readonly #started: Component[] = [];
  readonly #failures = new Map<string, Error>();
  readonly #log: Logger;
  #stopping: Promise<void> | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  add(component: Component): this {
    this.#components.push(component);
    component.on('error', (err: Error) => {
      this.#failures.set(component.name, err);
      this.#log.error({ err, componentName: component.name }, 'component failed');
    });
    return this;
  }

  async start(): Promise<void> {
    for (const component of this.#components) {
      const startedAt = Date.now();
      try {
        await component.start();
      } catch (err) {
        this.#log.error({ err, componentName: component.name }, 'component failed to start; stopping the ones already started');
        await this.stop();
        throw err;
      }
      this.#started.push(component);
      this.#log.info({ componentName: component.name, startMs: Date.now() - startedAt }, 'component started');
    }
  }

  /** Closes every started component gracefully, in reverse order; safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const component of [...this.#started].reverse()) {
        try {
          await component.close();
          this.#log.info({ componentName: component.name }, 'component stopped');
        } catch (err) {
          this.#log.error({ err, componentName: component.name }, 'component failed to close; destroying it');
          await component.destroy(err as Error);
        }
      }
    })();
    return this.#stopping;
  }

  health(): ComponentHealth[] {
    return this.#components.map((component) => {
      const failure = this.#failures.get(component.name) ?? component.failure;
      return failure
        ? { name: component.name, state: component.state, error: failure.message }
        : { name: component.name, state: component.state };
    });
  }
}
