import type { FastifyInstance } from 'fastify';
import { parseSince, parseTarget } from '../address.ts';
import { DecisionListQuerySchema, DecisionPageSchema, errorResponses, type DecisionListQueryInput } from '../schemas.ts';
import { BEARER_SECURITY, type RouteContext } from './context.ts';

export function registerDecisionRoutes(app: FastifyInstance, context: RouteContext): void {
  const { services } = context;
  const security = context.options.readsNeedToken ? BEARER_SECURITY : [];

  app.get<{ Querystring: DecisionListQueryInput }>(
    '/decisions',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List recent decisions (blocks, unblocks, expiries, and skips such as dry-run would-blocks), newest first, from a bounded buffer',
        tags: ['blocks'],
        security,
        querystring: DecisionListQuerySchema,
        response: { 200: DecisionPageSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { target, action, since, offset, limit } = request.query;
      return services.decisions.list({
        offset,
        limit,
        ...(action === undefined ? {} : { action }),
        ...(target === undefined ? {} : { target: parseTarget("query parameter 'target'", target).target }),
        ...(since === undefined ? {} : { sinceMs: parseSince("query parameter 'since'", since, context.now()) }),
      });
    },
  );
}
