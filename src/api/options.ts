import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import ipaddr from 'ipaddr.js';
import { optionsInvalid } from '../errors/api.ts';

export const WEBHOOK_EVENTS = ['block', 'unblock', 'expire', 'guard'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const WebhookOptionsSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'http:// or https:// URL that receives a POST with a JSON body per event' }),
    events: Type.Array(Type.Union(WEBHOOK_EVENTS.map((event) => Type.Literal(event))), {
      minItems: 1,
      uniqueItems: true,
      default: ['block', 'unblock', 'guard'],
      description: 'events sent to this URL',
    }),
    secret: Type.Optional(
      Type.String({ minLength: 16, description: 'HMAC-SHA256 key; the body signature goes in X-Flowguard-Signature: sha256=<hex>' }),
    ),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000, description: 'time for one delivery attempt' }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 5, description: 'attempts per event, the first included' }),
    initialBackoffMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 500, description: 'wait before the first retry; doubles per retry' }),
    maxBackoffMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 30_000, description: 'longest wait between retries' }),
    queueSize: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 1_000,
      description: 'events waiting for delivery; when full, new events are dropped and counted',
    }),
  },
  { additionalProperties: false },
);
export type WebhookOptions = Static<typeof WebhookOptionsSchema>;

export const StreamOptionsSchema = Type.Object(
  {
    maxClients: Type.Integer({ minimum: 1, maximum: 1_000, default: 32, description: 'live-stream connections at once' }),
    verdictsPerSecond: Type.Integer({
      minimum: 0,
      maximum: 10_000,
      default: 50,
      description: 'verdict events sent to one client per second; the rest are counted in the traffic event',
    }),
    heartbeatMs: Type.Integer({ minimum: 1_000, maximum: 120_000, default: 15_000, description: 'interval of keep-alive comments' }),
    maxBufferedBytes: Type.Integer({
      minimum: 4_096,
      maximum: 64 * 1024 * 1024,
      default: 1024 * 1024,
      description: 'unsent bytes per client above which events for that client are dropped and counted',
    }),
  },
  { additionalProperties: false, default: {} },
);

/** The gateway config's `api` section. */
export const ApiOptionsSchema = Type.Object(
  {
    listenAddress: Type.String({ default: '127.0.0.1', description: 'IP address the API listens on' }),
    port: Type.Integer({ minimum: 0, maximum: 65_535, default: 8780, description: 'TCP port; 0 picks a free one' }),
    token: Type.Optional(
      Type.String({ minLength: 16, description: 'bearer token for state-changing routes; FLOWGUARD_API_TOKEN when absent' }),
    ),
    readsNeedToken: Type.Boolean({ default: false, description: 'require the token on read routes and the live stream too' }),
    stream: StreamOptionsSchema,
    webhooks: Type.Array(WebhookOptionsSchema, { default: [], maxItems: 32 }),
  },
  { additionalProperties: false },
);
export type ApiOptions = Static<typeof ApiOptionsSchema>;

/** Input form of the options: every field with a default may be left out. */
export type ApiOptionsInput = Partial<Omit<ApiOptions, 'stream' | 'webhooks'>> & {
  stream?: Partial<ApiOptions['stream']>;
  webhooks?: Array<Partial<WebhookOptions> & { url: string }>;
};

/**
 * Applies defaults, takes the token from FLOWGUARD_API_TOKEN when the options have none, checks
 * everything against `ApiOptionsSchema` and reports all problems at once. The result is frozen.
 */
export function resolveApiOptions(input: ApiOptionsInput = {}, env: NodeJS.ProcessEnv = process.env): Readonly<ApiOptions> {
  const options = Value.Default(ApiOptionsSchema, structuredClone(input)) as ApiOptions;
  if (options.token === undefined && env.FLOWGUARD_API_TOKEN) options.token = env.FLOWGUARD_API_TOKEN;

  const problems = [...Value.Errors(ApiOptionsSchema, options)].map((error) => `${error.path || '/'} ${error.message}`);
  if (typeof options.listenAddress === 'string' && !ipaddr.isValid(options.listenAddress)) {
    problems.push(`/listenAddress '${options.listenAddress}' is not an IP address (use 127.0.0.1, ::1 or another local address)`);
  }
  if (options.readsNeedToken === true && options.token === undefined) {
    problems.push('/readsNeedToken is true but no token is set (set token or FLOWGUARD_API_TOKEN)');
  }
  for (const [index, webhook] of (options.webhooks ?? []).entries()) {
    if (webhook.maxBackoffMs < webhook.initialBackoffMs) {
      problems.push(`/webhooks/${index}/maxBackoffMs ${webhook.maxBackoffMs} is below initialBackoffMs ${webhook.initialBackoffMs}`);
    }
  }
  if (problems.length > 0) throw optionsInvalid(problems);
  return deepFreeze(options);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
