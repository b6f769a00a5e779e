import type {} from '@fastify/swagger';
import type { Logger } from '../../log.ts';
import type { RouteAccess, TokenAuth } from '../auth.ts';
import type { ApiOptions } from '../options.ts';
import type { GatewayServices } from '../services.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; checked in an onRequest hook. */
    access?: RouteAccess;
    /** Name of the change in the audit log, for routes with access 'write'. */
    auditAction?: string;
  }
  interface FastifyRequest {
    /** Normalised target of a state change, for the audit entry. */
    auditTarget: string | undefined;
  }
}

/** What every route module is given. */
export interface RouteContext {
  services: GatewayServices;
  options: Readonly<ApiOptions>;
  auth: TokenAuth;
  logger: Logger;
  now: () => number;
}

export const BEARER_SECURITY = [{ bearerAuth: [] }];
