import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { EmptyQuerySchema, GatewayStatsSchema, HealthReportSchema, errorResponses } from '../schemas.ts';
import { BEARER_SECURITY, type RouteContext } from './context.ts';

export function registerStatusRoutes(app: FastifyInstance, context: RouteContext): void {
  const { services } = context;
  const security = context.options.readsNeedToken ? BEARER_SECURITY : [];

  app.get(
    '/stats',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Totals: packets, flows, verdicts by label, active blocks, drops by set, capture drops, queue depths, evictions',
        tags: ['status'],
        security,
        querystring: EmptyQuerySchema,
        response: { 200: GatewayStatsSchema, ...errorResponses(400, 401) },
      },
    },
    async () => services.stats(),
  );

  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Health: 200 with status ok, or 503 with status degraded and the reasons',
        tags: ['status'],
        querystring: EmptyQuerySchema,
        response: { 200: HealthReportSchema, 503: HealthReportSchema, ...errorResponses(400) },
      },
    },
    async (_request, reply) => {
      const report = await services.health();
      return reply.code(report.status === 'ok' ? 200 : 503).send(report);
    },
  );

  app.get(
    '/metrics',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Prometheus text exposition of the gateway and API metrics',
        tags: ['status'],
        security,
        querystring: EmptyQuerySchema,
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text format 0.0.4' }), ...errorResponses(401) },
      },
    },
    async (_request, reply) => {
      const text = await services.metrics.metrics();
      return reply.type(services.metrics.contentType).send(text);
    },
  );
}
