import type { FastifyInstance } from 'fastify';
import { type Static } from '@sinclair/typebox';
import { parseAddress, parseSince, parseTarget } from '../address.ts';
import { SourceParamsSchema, SourceReportSchema, VerdictListQuerySchema, VerdictPageSchema, errorResponses, type VerdictListQueryInput } from '../schemas.ts';
import { sourceNotFound } from '../../errors/api.ts';
import { BEARER_SECURITY, type RouteContext } from './context.ts';

export function registerVerdictRoutes(app: FastifyInstance, context: RouteContext): void {
  const { services } = context;
  const security = context.options.readsNeedToken ? BEARER_SECURITY : [];

  app.get<{ Querystring: VerdictListQueryInput }>(
    '/verdicts',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List recent verdicts, newest first (from a bounded buffer)',
        tags: ['verdicts'],
        security,
        querystring: VerdictListQuerySchema,
        response: { 200: VerdictPageSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { source, since, label, offset, limit } = request.query;
      return services.verdicts.list({
        offset,
        limit,
        ...(label === undefined ? {} : { label }),
        ...(source === undefined ? {} : { source: parseTarget("query parameter 'source'", source).target }),
        ...(since === undefined ? {} : { sinceMs: parseSince("query parameter 'since'", since, context.now()) }),
      });
    },
  );

  app.get<{ Params: Static<typeof SourceParamsSchema> }>(
    '/sources/:address',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Describe one source: recent flows, verdicts, decisions, block and escalation level',
        tags: ['verdicts'],
        security,
        params: SourceParamsSchema,
        response: { 200: SourceReportSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const address = parseAddress("path parameter 'address'", request.params.address);
      const report = await services.sources.describe(address);
      if (!report) throw sourceNotFound(address);
      return report;
    },
  );
}

