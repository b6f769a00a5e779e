import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import { listenFailed } from '../errors/api.ts';
import { Component } from '../lifecycle.ts';
import { silentLogger, type Logger } from '../log.ts';
import { apiMetrics, type ApiMetrics } from './api-metrics.ts';
import { auditActor, checkLoopbackHost, isLoopbackAddress, TokenAuth } from './auth.ts';
import { AJV_OPTIONS, formatSchemaErrors, installErrorHandlers } from './http-errors.ts';
import { LiveStream } from './live-stream.ts';
import { resolveApiOptions, type ApiOptions, type ApiOptionsInput } from './options.ts';
import { registerBlockRoutes } from './routes/blocks.ts';
import type { RouteContext } from './routes/context.ts';
import { registerPolicyRoutes } from './routes/policy.ts';
import { registerStatusRoutes } from './routes/status.ts';
import { registerVerdictRoutes } from './routes/verdicts.ts';
import { registerDecisionRoutes } from './routes/decisions.ts';
import { SHARED_SCHEMAS } from './schemas.ts';
import type { GatewayServices } from './services.ts';
import { WebhookDispatcher } from './webhooks.ts';

/** Largest request body accepted; a block request is well under 1 KiB. */
const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Time close() lets requests in flight finish before it cuts every connection. Browsers open
 * spare connections that never send a request; Node counts those as busy until its 60 s headers
 * timeout, so without a cut they hold close() for a minute.
 */
const CLOSE_GRACE_MS = 2_000;

/** The dashboard loads only its own files and talks only to this server. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface ApiServerOptions {
  services: GatewayServices;
  /** Options as in the gateway config's `api` section; resolved with `resolveApiOptions` when raw. */
  options?: ApiOptionsInput | Readonly<ApiOptions>;
  logger?: Logger;
  now?: () => number;
}

/**
 * Finds the dashboard files. From `src/api/server.ts` they sit beside the module. The compiled
 * `dist/api/server.js` reads them from the source tree, which the package ships, so the build
 * needs no copy step.
 */
export function dashboardDirectory(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, 'public'), join(here, '..', '..', 'src', 'api', 'public')];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`Dashboard files not found; looked in ${candidates.join(' and ')}. Reinstall flowguard with its src/api/public folder.`);
  return found;
}

/** Builds the fastify application with every route, not yet listening (tests use `inject`). */
export async function buildApiApp(config: ApiServerOptions): Promise<{ app: FastifyInstance; stream: LiveStream; metrics: ApiMetrics; options: Readonly<ApiOptions> }> {
  const options = resolveApiOptions(config.options ?? {});
  const base = config.logger ?? silentLogger();
  const logger = base.child({ component: 'api' });
  // A child of `logger` would write "component" twice into each JSON line.
  const audit = base.child({ component: 'api-audit' });
  const auth = new TokenAuth(options.token, options.readsNeedToken);
  const metrics = apiMetrics(config.services.metrics);
  const context: RouteContext = { services: config.services, options, auth, logger, now: config.now ?? Date.now };

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request lines would flood the log during an attack; the audit log covers changes.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    ajv: AJV_OPTIONS,
    schemaErrorFormatter: formatSchemaErrors,
    forceCloseConnections: 'idle',
  });
  app.decorateRequest('auditTarget', undefined);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  installErrorHandlers(app, logger);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'flowguard gateway API', version: '1', description: 'Blocks, verdicts, sources, statistics and the live stream of a flowguard gateway.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'The API token (api.token or FLOWGUARD_API_TOKEN)' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  const loopbackOnly = isLoopbackAddress(options.listenAddress);
  app.addHook('onRequest', async (request) => {
    request.auditTarget = undefined;
    if (loopbackOnly) checkLoopbackHost(request);
    auth.check(request, request.routeOptions.config.access ?? 'public');
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requestDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    const config = request.routeOptions.config;
    if (config.access !== 'write') return;
    audit.info(
      {
        action: config.auditAction,
        actor: auditActor(request),
        remoteAddress: request.ip,
        target: request.auditTarget ?? (request.params as { address?: string }).address ?? (request.body as { address?: string } | undefined)?.address,
        outcome: reply.statusCode < 400 ? 'applied' : 'rejected',
        statusCode: reply.statusCode,
        requestId: request.id,
        atMs: context.now(),
      },
      'audit',
    );
  });

  const stream = new LiveStream(config.services, options.stream, metrics, logger);
  registerBlockRoutes(app, context);
  registerVerdictRoutes(app, context);
  registerDecisionRoutes(app, context);
  registerStatusRoutes(app, context);
  registerPolicyRoutes(app, context);
  stream.register(app, options.readsNeedToken);
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  await app.register(fastifyStatic, { root: dashboardDirectory(), wildcard: false, index: 'index.html' });
  app.addHook('preClose', async () => stream.closeAll());

  await app.ready();
  return { app, stream, metrics, options };
}

/**
 * The API as a long-lived component: listens on `listenAddress:port` (127.0.0.1:8780 unless
 * configured) and runs the webhook dispatcher when webhooks are configured.
 */
export class ApiServer extends Component {
  readonly #config: ApiServerOptions;
  readonly #logger: Logger;
  #app: FastifyInstance | undefined;
  #webhooks: WebhookDispatcher | undefined;
  #url: string | undefined;

  constructor(config: ApiServerOptions) {
    super('api');
    this.#config = config;
    this.#logger = (config.logger ?? silentLogger()).child({ component: 'api' });
  }

  /** Base URL once started, e.g. `http://127.0.0.1:8780`. */
  get url(): string {
    if (!this.#url) throw new Error('ApiServer.url read before start() finished');
    return this.#url;
  }

  get app(): FastifyInstance | undefined {
    return this.#app;
  }

  get webhooks(): WebhookDispatcher | undefined {
    return this.#webhooks;
  }

  protected async onStart(): Promise<void> {
    const built = await buildApiApp(this.#config);
    this.#app = built.app;
    const { listenAddress, port, webhooks, token } = built.options;
    try {
      await built.app.listen({ host: listenAddress, port });
    } catch (err) {
      await built.app.close();
      throw listenFailed(listenAddress, port, err);
    }
    if (webhooks.length > 0) {
      this.#webhooks = new WebhookDispatcher({ events: this.#config.services.events, webhooks, metrics: built.metrics, logger: this.#logger });
      await this.#webhooks.start();
    }
    const address = built.app.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const host = listenAddress.includes(':') ? `[${listenAddress}]` : listenAddress;
    this.#url = `http://${host}:${boundPort}`;
    this.#logger.info({ url: this.#url, writesEnabled: token !== undefined, webhooks: webhooks.length }, 'api listening');
  }

  protected async onClose(): Promise<void> {
    const app = this.#app;
    if (app) {
      const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
      await app.close();
      clearTimeout(cut);
    }
    await this.#webhooks?.close();
    this.#logger.info('api stopped');
  }

  protected async onDestroy(err?: Error): Promise<void> {
    await this.#webhooks?.destroy(err);
    this.#app?.server.closeAllConnections();
    await this.#app?.close();
  }
}
