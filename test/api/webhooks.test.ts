import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { apiMetrics } from '../../src/api/api-metrics.ts';
import { MemoryGatewayServices, type MemoryServicesOptions } from '../../src/api/memory-services.ts';
import { resolveApiOptions, type ApiOptionsInput } from '../../src/api/options.ts';
import { ApiServer } from '../../src/api/server.ts';
import { WebhookDispatcher, type WebhookPayload } from '../../src/api/webhooks.ts';
import { silentLogger } from '../../src/log.ts';
import { AUTH, TOKEN, waitFor } from './helpers.ts';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  payload: WebhookPayload;
}

/** An HTTP receiver on 127.0.0.1; the test sets the response to each request. */
class Receiver {
  readonly received: Received[] = [];
  readonly pendingResponses: ServerResponse[] = [];
  respond: (index: number, response: ServerResponse) => void = (_index, response) => response.end('ok');
  #server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.received.push({ headers: req.headers, body, payload: JSON.parse(body) });
      this.respond(this.received.length - 1, res);
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook?key=secret-in-query`;
  }

  async stop(): Promise<void> {
    for (const response of this.pendingResponses) response.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  webhook: Omit<NonNullable<ApiOptionsInput['webhooks']>[number], 'url'>,
  respond?: Receiver['respond'],
  servicesOptions: MemoryServicesOptions = {},
) {
  const receiver = new Receiver();
  if (respond) receiver.respond = respond;
  const url = await receiver.start();
  cleanups.push(() => receiver.stop());
  const services = new MemoryGatewayServices(servicesOptions);
  const options = resolveApiOptions({ webhooks: [{ url, ...webhook }] }, {});
  const dispatcher = new WebhookDispatcher({
    events: services.events,
    webhooks: options.webhooks,
    metrics: apiMetrics(services.metrics),
    logger: silentLogger(),
    drainTimeoutMs: 2_000,
  });
  await dispatcher.start();
  cleanups.push(() => dispatcher.destroy());
  return { receiver, services, dispatcher };
}

describe('webhooks', () => {
  it('posts block, unblock and guard events with a signature', async () => {
    const secret = 'webhook-secret-0123456789';
    const { receiver, services } = await setup({ secret });
    services.blockAutomatically({ target: '192.0.2.66', durationMs: 60_000, reason: 'policy test' });
    await services.blocks.remove({ target: '192.0.2.66', graceMs: 0, actor: 'alice' });
    services.tripGuard('block-rate', 'more than 100 blocks per minute');
    await waitFor('three deliveries', () => receiver.received.length === 3);

    expect(receiver.received.map((item) => item.payload.event)).toEqual(['block', 'unblock', 'guard']);
    expect(receiver.received[0].payload.decision).toMatchObject({ action: 'block', target: '192.0.2.66', durationMs: 60_000 });
    expect(receiver.received[1].payload.decision).toMatchObject({ action: 'unblock', actor: 'alice' });
    expect(receiver.received[2].payload.guard).toMatchObject({ guard: 'block-rate' });
    for (const item of receiver.received) {
      expect(item.headers['content-type']).toBe('application/json');
      expect(item.headers['x-flowguard-event']).toBe(item.payload.event);
      expect(item.headers['x-flowguard-delivery']).toBe(item.payload.deliveryId);
      const expected = `sha256=${createHmac('sha256', secret).update(item.body).digest('hex')}`;
      expect(item.headers['x-flowguard-signature']).toBe(expected);
    }
  });

  it('sends only the subscribed events', async () => {
    let nowMs = Date.now();
    const { receiver, services, dispatcher } = await setup({ events: ['expire'] }, undefined, { now: () => nowMs });
    services.blockAutomatically({ target: '192.0.2.2', durationMs: 1_000, reason: 'short' });
    services.tripGuard('block-rate', 'trip');
    expect(dispatcher.stats()[0]).toMatchObject({ queued: 0, dropped: 0 });
    nowMs += 2_000;
    services.sweep();
    await waitFor('expire delivery', () => receiver.received.length === 1);
    expect(receiver.received[0].payload).toMatchObject({ event: 'expire', decision: { target: '192.0.2.2', action: 'expire' } });
  });

  it('retries 5xx answers with backoff and keeps the delivery id', async () => {
    const { receiver, services, dispatcher } = await setup({ initialBackoffMs: 50, maxBackoffMs: 200, maxAttempts: 4 }, (index, response) => {
      response.statusCode = index < 2 ? 503 : 204;
      response.end();
    });
    const started = Date.now();
    services.tripGuard('block-rate', 'trip');
    await waitFor('delivery after retries', () => dispatcher.stats()[0].delivered === 1);
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((item) => item.payload.deliveryId)).size).toBe(1);
    expect(dispatcher.stats()[0]).toMatchObject({ delivered: 1, failed: 0, retries: 2 });
    // Two waits of at least half the backoff: 25 ms then 50 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('does not retry a 4xx answer', async () => {
    const { receiver, services, dispatcher } = await setup({ initialBackoffMs: 10 }, (_index, response) => {
      response.statusCode = 400;
      response.end();
    });
    services.tripGuard('block-rate', 'trip');
    await waitFor('failed delivery', () => dispatcher.stats()[0].failed === 1);
    expect(receiver.received).toHaveLength(1);
    expect(dispatcher.stats()[0].retries).toBe(0);
  });

  it('times out a receiver that does not answer', async () => {
    const { receiver, services, dispatcher } = await setup({ timeoutMs: 200, maxAttempts: 2, initialBackoffMs: 10 }, (_index, response) => {
      receiver.pendingResponses.push(response);
    });
    const started = Date.now();
    services.tripGuard('block-rate', 'trip');
    await waitFor('failed delivery', () => dispatcher.stats()[0].failed === 1);
    expect(receiver.received).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('drops and counts events when the queue is full', async () => {
    const { receiver, services, dispatcher } = await setup({ queueSize: 2 }, (_index, response) => {
      receiver.pendingResponses.push(response);
    });
    for (let i = 0; i < 5; i++) services.tripGuard('block-rate', `trip ${i}`);
    expect(dispatcher.stats()[0]).toMatchObject({ queued: 2, dropped: 3 });
    expect(await services.metrics.getSingleMetricAsString('flowguard_webhook_dropped_total')).toContain('flowguard_webhook_dropped_total 3');

    await waitFor('first request held', () => receiver.pendingResponses.length === 1);
    receiver.respond = (_index, response) => response.end('ok');
    receiver.pendingResponses.shift()!.end('ok');
    await waitFor('queue drained', () => dispatcher.stats()[0].delivered === 2);
    expect(receiver.received.map((item) => item.payload.guard?.message)).toEqual(['trip 0', 'trip 1']);
  });

  it('delivers queued events on close', async () => {
    const { receiver, services, dispatcher } = await setup({});
    for (let i = 0; i < 3; i++) services.tripGuard('block-rate', `trip ${i}`);
    await dispatcher.close();
    expect(receiver.received).toHaveLength(3);
    services.tripGuard('block-rate', 'after close');
    expect(dispatcher.stats()[0].queued).toBe(0);
  });

  it('runs inside the API server and fires on a manual block', async () => {
    const receiver = new Receiver();
    const url = await receiver.start();
    cleanups.push(() => receiver.stop());
    const services = new MemoryGatewayServices();
    const server = new ApiServer({ services, options: { port: 0, token: TOKEN, webhooks: [{ url, events: ['block'] }] } });
    await server.start();
    cleanups.push(() => server.close());
    const response = await request(`${server.url}/blocks`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ address: '192.0.2.44', duration: '10m', reason: 'hook test' }),
    });
    expect(response.statusCode).toBe(201);
    await response.body.dump();
    await waitFor('block webhook', () => receiver.received.length === 1);
    expect(receiver.received[0].payload.decision).toMatchObject({ action: 'block', target: '192.0.2.44', origin: 'manual', actor: 'token-holder' });
  });
});
