import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metrics of the API itself, added to the gateway's registry. */
export interface ApiMetrics {
  requestDuration: Histogram<'method' | 'route' | 'status_code'>;
  streamClients: Gauge;
  streamDroppedEvents: Counter;
  webhookDeliveries: Counter<'result'>;
  webhookDropped: Counter;
  webhookQueueDepth: Gauge;
}

/**
 * Creates the API metrics, or returns the ones already in `registry` (a gateway may rebuild its
 * API server on the same registry, and prom-client rejects a second metric of the same name).
 */
export function apiMetrics(registry: Registry): ApiMetrics {
  const registers = [registry];
  const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
  return {
    requestDuration:
      existing('flowguard_api_request_duration_seconds') ??
      new Histogram({
        name: 'flowguard_api_request_duration_seconds',
        help: 'API request latency by route.',
        labelNames: ['method', 'route', 'status_code'] as const,
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        registers,
      }),
    streamClients: existing('flowguard_api_stream_clients') ?? new Gauge({ name: 'flowguard_api_stream_clients', help: 'Open live-stream connections.', registers }),
    streamDroppedEvents:
      existing('flowguard_api_stream_dropped_events_total') ??
      new Counter({ name: 'flowguard_api_stream_dropped_events_total', help: 'Live-stream events dropped because a client read too slowly.', registers }),
    webhookDeliveries:
      existing('flowguard_webhook_deliveries_total') ??
      new Counter({
        name: 'flowguard_webhook_deliveries_total',
        help: 'Webhook delivery attempts by result (delivered, retried, failed).',
        labelNames: ['result'] as const,
        registers,
      }),
    webhookDropped:
      existing('flowguard_webhook_dropped_total') ??
      new Counter({ name: 'flowguard_webhook_dropped_total', help: 'Webhook events dropped because the delivery queue was full.', registers }),
    webhookQueueDepth:
      existing('flowguard_webhook_queue_depth') ?? new Gauge({ name: 'flowguard_webhook_queue_depth', help: 'Webhook events waiting for delivery.', registers }),
  };
}
