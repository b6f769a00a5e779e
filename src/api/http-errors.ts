import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { FlowguardError, isFlowguardError } from '../errors/index.ts';
import { invalidInput, missingField, routeNotFound, unknownField } from '../errors/api.ts';
import type { Logger } from '../log.ts';

/** Ajv options: reject unknown fields instead of stripping them, and keep schemas for messages. */
export const AJV_OPTIONS = {
  customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false, verbose: true },
} as const;

interface VerboseError extends FastifySchemaValidationError {
  data?: unknown;
  parentSchema?: { description?: string; properties?: Record<string, { description?: string }> };
}

/**
 * Turns the first Ajv error into a 400 `FG_ERR_API_INVALID_INPUT` naming the field and its
 * allowed form, which the schemas keep in each field's `description`.
 */
export function formatSchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const error = errors[0] as VerboseError;
  let where = `${dataVar} field`;
  if (dataVar === 'querystring') where = 'query parameter';
  else if (dataVar === 'params') where = 'path parameter';
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');

  if (error.keyword === 'additionalProperties') {
    const name = String(error.params.additionalProperty);
    const allowed = Object.keys(error.parentSchema?.properties ?? {});
    return unknownField(`${where} '${path ? `${path}.` : ''}${name}'`, allowed);
  }
  if (error.keyword === 'required') {
    const name = String(error.params.missingProperty);
    const description = error.parentSchema?.properties?.[name]?.description ?? 'a value';
    return missingField(`${where} '${name}'`, description);
  }
  if (error.keyword === 'type' && path === '') {
    return invalidInput(dataVar, error.data ?? null, `a JSON ${String(error.params.type)}`);
  }
  const description = error.parentSchema?.description ?? error.message ?? 'a valid value';
  return invalidInput(`${where} '${path}'`, error.data ?? null, description);
}

/** Installs handlers that send every error as `{ statusCode, code, error, message, details }`. */
export function installErrorHandlers(app: FastifyInstance, logger: Logger): void {
  app.setNotFoundHandler((request, reply) => {
    const error = routeNotFound(request.method, request.url.split('?')[0]);
    void reply.code(404).send(errorBody(error));
  });

  app.setErrorHandler((err: FastifyError | FlowguardError, request, reply) => {
    if (isFlowguardError(err)) {
      if (err.statusCode >= 500) logger.error({ err, requestId: request.id }, 'request failed');
      return reply.code(err.statusCode).send(errorBody(err));
    }
    const statusCode = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (statusCode >= 500) {
      logger.error({ err, requestId: request.id }, 'request failed');
      return reply.code(500).send({
        statusCode: 500,
        code: 'FG_ERR_API_INTERNAL',
        error: STATUS_CODES[500],
        message: `Internal error while handling ${request.method} ${request.routeOptions.url ?? request.url}; the gateway log has the details (request id ${request.id}).`,
      });
    }
    // Fastify's own client errors (malformed JSON, wrong content type, body too large).
    return reply.code(statusCode).send({
      statusCode,
      code: err.code ?? 'FG_ERR_API_INVALID_INPUT',
      error: STATUS_CODES[statusCode] ?? 'Error',
      message: err.message,
    });
  });
}

export function errorBody(err: FlowguardError) {
  return {
    statusCode: err.statusCode,
    code: err.code,
    error: STATUS_CODES[err.statusCode] ?? 'Error',
    message: err.message,
    details: { ...err.details },
  };
}
