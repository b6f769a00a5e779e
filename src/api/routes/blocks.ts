import type { FastifyInstance } from 'fastify';
import { auditActor } from '../auth.ts';
import { parseDuration, parseTarget } from '../address.ts';
import {
  AddBlockBodySchema,
  AddressParamsSchema,
  BLOCK_DURATION_BOUNDS,
  BlockPageSchema,
  GRACE_BOUNDS,
  BlockListQuerySchema,
  RemoveBlockQuerySchema,
  errorResponses,
  type AddBlockBody,
  type AddressParams,
  type BlockListQueryInput,
  type RemoveBlockQuery,
} from '../schemas.ts';
import { Type } from '@sinclair/typebox';
import { blockNotFound } from '../../errors/api.ts';
import { BEARER_SECURITY, type RouteContext } from './context.ts';

export function registerBlockRoutes(app: FastifyInstance, context: RouteContext): void {
  const { services } = context;
  const readSecurity = context.options.readsNeedToken ? BEARER_SECURITY : [];

  app.get<{ Querystring: BlockListQueryInput }>(
    '/blocks',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List blocks, newest first',
        tags: ['blocks'],
        security: readSecurity,
        querystring: BlockListQuerySchema,
        response: { 200: BlockPageSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => services.blocks.list(request.query),
  );

  app.get<{ Params: AddressParams }>(
    '/blocks/:address',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Read the block of one address or prefix (the active one, else the latest ended one)',
        tags: ['blocks'],
        security: readSecurity,
        params: AddressParamsSchema,
        response: { 200: Type.Ref('BlockEntry'), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { target } = parseTarget("path parameter 'address'", request.params.address);
      const entry = await services.blocks.get(target);
      if (!entry) throw blockNotFound(target);
      return entry;
    },
  );

  app.post<{ Body: AddBlockBody }>(
    '/blocks',
    {
      config: { access: 'write', auditAction: 'block.add' },
      schema: {
        summary: 'Block an address or prefix by hand, or extend its block',
        tags: ['blocks'],
        security: BEARER_SECURITY,
        body: AddBlockBodySchema,
        response: { 201: Type.Ref('BlockRecord'), ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { target } = parseTarget("body field 'address'", request.body.address);
      request.auditTarget = target;
      const durationMs = parseDuration("body field 'duration'", request.body.duration, BLOCK_DURATION_BOUNDS);
      const record = await services.blocks.add({ target, durationMs, reason: request.body.reason, actor: auditActor(request) });
      return reply.code(201).send(record);
    },
  );

  app.delete<{ Params: AddressParams; Querystring: RemoveBlockQuery }>(
    '/blocks/:address',
    {
      config: { access: 'write', auditAction: 'block.remove' },
      schema: {
        summary: 'Unblock an address or prefix now, optionally with a grace period against re-blocking',
        tags: ['blocks'],
        security: BEARER_SECURITY,
        params: AddressParamsSchema,
        querystring: RemoveBlockQuerySchema,
        response: { 200: Type.Ref('BlockEntry'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { target } = parseTarget("path parameter 'address'", request.params.address);
      request.auditTarget = target;
      const graceMs = request.query.grace === undefined ? 0 : parseDuration("query parameter 'grace'", request.query.grace, GRACE_BOUNDS);
      return services.blocks.remove({ target, graceMs, actor: auditActor(request) });
    },
  );
}
