import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { streamFull } from '../errors/api.ts';
import type { Logger } from '../log.ts';
import type { Verdict } from '../infer/verdict.ts';
import type { ApiMetrics } from './api-metrics.ts';
import type { ApiOptions } from './options.ts';
import { EmptyQuerySchema, errorResponses } from './schemas.ts';
import type { Decision, GatewayServices, GuardTrip, TrafficSample } from './services.ts';
import { BEARER_SECURITY } from './routes/context.ts';

interface StreamClient {
  response: ServerResponse;
  /** Second (ms / 1000, floored) the verdict budget counts in. */
  budgetSecond: number;
  verdictsSentThisSecond: number;
  verdictsSkipped: number;
  eventsDropped: number;
}

/**
 * The live stream at GET /events as Server-Sent Events: `hello` once, then `verdict`,
 * `decision`, `guard` and one `traffic` event per second. One subscription to the gateway's
 * events fans out to every client.
 *
 * Bounds per client: at most `verdictsPerSecond` verdict events (the rest are counted in the
 * next traffic event as `verdictsSkipped`; the traffic totals still count every flow), and while
 * more than `maxBufferedBytes` wait unsent on its socket, events for it are dropped and counted
 * as `eventsDropped`.
 */
export class LiveStream {
  readonly #clients = new Set<StreamClient>();
  readonly #services: GatewayServices;
  readonly #options: ApiOptions['stream'];
  readonly #metrics: ApiMetrics;
  readonly #logger: Logger;
  #nextId = 1;
  #heartbeat: NodeJS.Timeout | undefined;

  readonly #onVerdict = (verdict: Verdict) => this.#sendVerdict(verdict);
  readonly #onDecision = (decision: Decision) => this.#broadcast('decision', JSON.stringify(decision));
  readonly #onGuard = (trip: GuardTrip) => this.#broadcast('guard', JSON.stringify(trip));
  readonly #onTraffic = (sample: TrafficSample) => this.#sendTraffic(sample);

  constructor(services: GatewayServices, options: ApiOptions['stream'], metrics: ApiMetrics, logger: Logger) {
    this.#services = services;
    this.#options = options;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  register(app: FastifyInstance, readsNeedToken: boolean): void {
    app.get(
      '/events',
      {
        config: { access: 'read' },
        schema: {
          summary: 'Live stream (Server-Sent Events) of verdicts, decisions, guard trips and per-second traffic totals',
          tags: ['stream'],
          security: readsNeedToken ? BEARER_SECURITY : [],
          querystring: EmptyQuerySchema,
          produces: ['text/event-stream'],
          response: {
            200: Type.String({ description: 'text/event-stream; see docs/api.md for the events' }),
            ...errorResponses(400, 401, 503),
          },
        },
      },
      async (request, reply) => {
        if (this.#clients.size >= this.#options.maxClients) throw streamFull(this.#options.maxClients);
        reply.hijack();
        const response = reply.raw;
        response.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        const client: StreamClient = { response, budgetSecond: 0, verdictsSentThisSecond: 0, verdictsSkipped: 0, eventsDropped: 0 };
        this.#add(client);
        request.raw.once('close', () => this.#remove(client));
        response.write('retry: 3000\n\n');
        this.#write(client, 'hello', JSON.stringify({ serverTimeMs: Date.now(), verdictsPerSecond: this.#options.verdictsPerSecond }));
      },
    );
  }

  /** Ends every open stream, so that the server can close. */
  closeAll(): void {
    for (const client of this.#clients) client.response.end();
    this.#clients.clear();
    this.#unsubscribe();
  }

  #add(client: StreamClient): void {
    if (this.#clients.size === 0) this.#subscribe();
    this.#clients.add(client);
    this.#metrics.streamClients.set(this.#clients.size);
    this.#logger.debug({ clients: this.#clients.size }, 'live-stream client connected');
  }

  #remove(client: StreamClient): void {
    if (!this.#clients.delete(client)) return;
    this.#metrics.streamClients.set(this.#clients.size);
    if (this.#clients.size === 0) this.#unsubscribe();
  }

  #subscribe(): void {
    const events = this.#services.events;
    events.on('verdict', this.#onVerdict);
    events.on('decision', this.#onDecision);
    events.on('guard', this.#onGuard);
    events.on('traffic', this.#onTraffic);
    this.#heartbeat = setInterval(() => {
      for (const client of this.#clients) if (client.response.writableLength === 0) client.response.write(': keep-alive\n\n');
    }, this.#options.heartbeatMs);
    this.#heartbeat.unref();
  }

  #unsubscribe(): void {
    const events = this.#services.events;
    events.off('verdict', this.#onVerdict);
    events.off('decision', this.#onDecision);
    events.off('guard', this.#onGuard);
    events.off('traffic', this.#onTraffic);
    clearInterval(this.#heartbeat);
  }

  #sendVerdict(verdict: Verdict): void {
    let data: string | undefined;
    const second = Math.floor(Date.now() / 1000);
    for (const client of this.#clients) {
      if (client.budgetSecond !== second) {
        client.budgetSecond = second;
        client.verdictsSentThisSecond = 0;
      }
      if (client.verdictsSentThisSecond >= this.#options.verdictsPerSecond) {
        client.verdictsSkipped++;
        continue;
      }
      client.verdictsSentThisSecond++;
      data ??= JSON.stringify(verdict);
      this.#write(client, 'verdict', data);
    }
  }

  #sendTraffic(sample: TrafficSample): void {
    for (const client of this.#clients) {
      const data = JSON.stringify({ ...sample, verdictsSkipped: client.verdictsSkipped, eventsDropped: client.eventsDropped });
      if (this.#write(client, 'traffic', data)) {
        client.verdictsSkipped = 0;
        client.eventsDropped = 0;
      }
    }
  }

  #broadcast(event: string, data: string): void {
    for (const client of this.#clients) this.#write(client, event, data);
  }

  /** Writes one event unless the client's socket is backed up; returns whether it was written. */
  #write(client: StreamClient, event: string, data: string): boolean {
    if (client.response.writableLength > this.#options.maxBufferedBytes || client.response.destroyed) {
      client.eventsDropped++;
      this.#metrics.streamDroppedEvents.inc();
      return false;
    }
    client.response.write(`event: ${event}\nid: ${this.#nextId++}\ndata: ${data}\n\n`);
    return true;
  }
}
