import { createHmac, randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { Component } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
import type { ApiMetrics } from './api-metrics.ts';
import type { WebhookEvent, WebhookOptions } from './options.ts';
import type { Decision, GatewayEventMap, GuardTrip } from './services.ts';

/** Body of one webhook POST. */
export interface WebhookPayload {
  event: WebhookEvent;
  /** Same on every retry of one event, so receivers can drop duplicates. */
  deliveryId: string;
  createdAtMs: number;
  decision?: Decision;
  guard?: GuardTrip;
}

export interface WebhookTargetStats {
  url: string;
  queued: number;
  delivered: number;
  failed: number;
  dropped: number;
  retries: number;
}

interface Target {
  options: WebhookOptions;
  /** Origin and path only: the log never shows query strings, which may carry credentials. */
  logUrl: string;
  queue: WebhookPayload[];
  pumping: Promise<void> | undefined;
  stats: WebhookTargetStats;
}

const DROP_LOG_EVERY = 100;
const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;

/**
 * Posts block, unblock, expire and guard events to the configured URLs. Each URL has its own
 * bounded queue, delivered in order one at a time. A failed attempt (network error, timeout,
 * 408, 429 or 5xx) is retried with exponential backoff and jitter up to `maxAttempts`; other
 * 4xx answers are final. When a queue is full the new event is dropped and counted.
 */
export class WebhookDispatcher extends Component {
  readonly #events: EventEmitter<GatewayEventMap>;
  readonly #targets: Target[];
  readonly #metrics: ApiMetrics;
  readonly #logger: Logger;
  readonly #agent = new Agent({ keepAliveTimeout: 10_000, connections: 4 });
  readonly #abort = new AbortController();
  readonly #drainTimeoutMs: number;
  #accepting = false;

  readonly #onDecision = (decision: Decision): void => {
    if (decision.action === 'skip') return;
    this.enqueue({ event: decision.action, deliveryId: randomUUID(), createdAtMs: Date.now(), decision });
  };
  readonly #onGuard = (guard: GuardTrip): void => {
    this.enqueue({ event: 'guard', deliveryId: randomUUID(), createdAtMs: Date.now(), guard });
  };

  constructor(options: {
    events: EventEmitter<GatewayEventMap>;
    webhooks: readonly WebhookOptions[];
    metrics: ApiMetrics;
    logger: Logger;
    /** How long close() waits for queued events before it aborts the rest. */
    drainTimeoutMs?: number;
  }) {
    super('webhooks');
    this.#events = options.events;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.#targets = options.webhooks.map((webhook) => {
      const url = new URL(webhook.url);
      return {
        options: webhook,
        logUrl: `${url.origin}${url.pathname}`,
        queue: [],
        pumping: undefined,
        stats: { url: `${url.origin}${url.pathname}`, queued: 0, delivered: 0, failed: 0, dropped: 0, retries: 0 },
      };
    });
  }

  stats(): WebhookTargetStats[] {
    return this.#targets.map((target) => ({ ...target.stats, queued: target.queue.length }));
  }

  protected async onStart(): Promise<void> {
    this.#accepting = true;
    this.#events.on('decision', this.#onDecision);
    this.#events.on('guard', this.#onGuard);
    this.#logger.info({ webhooks: this.#targets.map((target) => target.logUrl) }, 'webhooks started');
  }

  protected async onClose(): Promise<void> {
    this.#stopIntake();
    const pending = this.#targets.map((target) => target.pumping).filter((pump) => pump !== undefined);
    const drained = Promise.all(pending).then(() => true);
    const timedOut = sleep(this.#drainTimeoutMs, false, { ref: false });
    if (!(await Promise.race([drained, timedOut]))) {
      const left = this.#targets.reduce((sum, target) => sum + target.queue.length, 0);
      this.#logger.warn({ left, drainTimeoutMs: this.#drainTimeoutMs }, 'webhooks closed before every event was delivered');
      this.#abort.abort();
      await Promise.all(pending);
    }
    await this.#agent.close();
    this.#logger.info({ targets: this.stats() }, 'webhooks stopped');
  }

  protected async onDestroy(): Promise<void> {
    this.#stopIntake();
    this.#abort.abort();
    await this.#agent.destroy();
  }

  /** Queues one event for every URL that subscribed to its kind. */
  enqueue(payload: WebhookPayload): void {
    if (!this.#accepting) return;
    for (const target of this.#targets) {
      if (!target.options.events.includes(payload.event)) continue;
      if (target.queue.length >= target.options.queueSize) {
        target.stats.dropped++;
        this.#metrics.webhookDropped.inc();
        if (target.stats.dropped % DROP_LOG_EVERY === 1) {
          this.#logger.warn({ url: target.logUrl, dropped: target.stats.dropped, queueSize: target.options.queueSize }, 'webhook queue full, event dropped');
        }
        continue;
      }
      target.queue.push(payload);
      this.#metrics.webhookQueueDepth.inc();
      target.pumping ??= this.#pump(target).finally(() => {
        target.pumping = undefined;
      });
    }
  }

  #stopIntake(): void {
    this.#accepting = false;
    this.#events.off('decision', this.#onDecision);
    this.#events.off('guard', this.#onGuard);
  }

  async #pump(target: Target): Promise<void> {
    while (target.queue.length > 0) {
      const payload = target.queue[0];
      const delivered = await this.#deliver(target, payload);
      target.queue.shift();
      this.#metrics.webhookQueueDepth.dec();
      if (delivered) target.stats.delivered++;
      else target.stats.failed++;
      if (this.#abort.signal.aborted) {
        this.#metrics.webhookQueueDepth.dec(target.queue.length);
        target.stats.failed += target.queue.length;
        target.queue.length = 0;
      }
    }
  }

  /** Tries one event up to `maxAttempts` times; returns whether the receiver accepted it. */
  async #deliver(target: Target, payload: WebhookPayload): Promise<boolean> {
    const { options } = target;
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'flowguard-webhook',
      'x-flowguard-event': payload.event,
      'x-flowguard-delivery': payload.deliveryId,
    };
    if (options.secret) headers['x-flowguard-signature'] = `sha256=${createHmac('sha256', options.secret).update(body).digest('hex')}`;

    let lastError = '';
    let attempts = 0;
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      if (this.#abort.signal.aborted) return false;
      attempts = attempt;
      let retryable = true;
      try {
        const response = await request(options.url, {
          method: 'POST',
          body,
          headers,
          dispatcher: this.#agent,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(options.timeoutMs)]),
        });
        await response.body.dump();
        if (response.statusCode >= 200 && response.statusCode < 300) {
          this.#metrics.webhookDeliveries.inc({ result: 'delivered' });
          return true;
        }
        lastError = `HTTP ${response.statusCode}`;
        retryable = response.statusCode >= 500 || response.statusCode === 408 || response.statusCode === 429;
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (!retryable || attempt === options.maxAttempts) break;

      target.stats.retries++;
      this.#metrics.webhookDeliveries.inc({ result: 'retried' });
      const backoffMs = Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** (attempt - 1));
      // Half fixed, half random, so receivers that fail together are not retried in lockstep.
      const waitMs = backoffMs / 2 + Math.random() * (backoffMs / 2);
      try {
        await sleep(waitMs, undefined, { signal: this.#abort.signal });
      } catch {
        return false;
      }
    }
    this.#metrics.webhookDeliveries.inc({ result: 'failed' });
    this.#logger.warn(
      { url: target.logUrl, event: payload.event, deliveryId: payload.deliveryId, attempts, error: lastError },
      'webhook delivery failed',
    );
    return false;
  }
}
