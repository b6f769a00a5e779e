import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { routeNotFound } from '../../errors/api.ts';
import { auditActor } from '../auth.ts';
import { EmptyQuerySchema, errorResponses } from '../schemas.ts';
import type { PolicyService } from '../services.ts';
import { BEARER_SECURITY, type RouteContext } from './context.ts';

const PolicyStatusSchema = Type.Object(
  {
    dryRun: Type.Boolean({ description: 'Decisions are only recorded: configured dry-run or a tripped guard.' }),
    configuredDryRun: Type.Boolean(),
    trippedGuard: Type.Optional(
      Type.Object({
        guard: Type.String({ description: 'max-active-blocks, max-new-blocks-per-minute or max-blocks-per-prefix' }),
        limit: Type.Number(),
        value: Type.Number(),
        prefix: Type.Optional(Type.String()),
      }),
    ),
  },
  { $id: 'PolicyStatus' },
);

export function registerPolicyRoutes(app: FastifyInstance, context: RouteContext): void {
  const security = context.options.readsNeedToken ? BEARER_SECURITY : [];
  const policyOf = (method: string, url: string): PolicyService => {
    if (!context.services.policy) throw routeNotFound(method, url);
    return context.services.policy;
  };

  app.get(
    '/policy',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Whether the policy enforces or only records decisions, and which guard tripped',
        tags: ['policy'],
        security,
        querystring: EmptyQuerySchema,
        response: { 200: PolicyStatusSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => policyOf('GET', request.url).status(),
  );

  app.post(
    '/policy/guards/reset',
    {
      config: { access: 'write', auditAction: 'policy.guards.reset' },
      schema: {
        summary: 'Clear a tripped block guard so enforcement resumes with the next decision',
        tags: ['policy'],
        security: BEARER_SECURITY,
        querystring: EmptyQuerySchema,
        response: { 200: PolicyStatusSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => policyOf('POST', request.url).resetGuards(auditActor(request)),
  );
}
