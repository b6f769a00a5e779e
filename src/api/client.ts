import { Agent, request } from 'undici';
import type { Verdict } from '../infer/verdict.ts';
import type { BlockRecord } from '../enforce/block.ts';
import { requestFailed, responseError } from '../errors/api.ts';
import type { BlockEntry, Decision, GatewayStats, HealthReport, Page, PolicyStatus } from './services.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:8780';

export interface ApiClientOptions {
  /** Base URL of the gateway API; FLOWGUARD_API_URL or http://127.0.0.1:8780 in the CLI. */
  url: string;
  token?: string;
  /** Name recorded as the actor in the gateway's audit log. */
  actor?: string;
  timeoutMs?: number;
}

export interface BlockListFilter {
  family?: 4 | 6;
  origin?: string;
  state?: string;
  limit?: number;
  offset?: number;
}

export interface VerdictListFilter {
  source?: string;
  label?: string;
  since?: string;
  limit?: number;
  offset?: number;
}

export interface DecisionListFilter {
  target?: string;
  action?: string;
  since?: string;
  limit?: number;
  offset?: number;
}

/** HTTP client of the gateway API, used by the `blocks`, `verdicts`, `decisions`, `stats` and `guards` commands. */
export class ApiClient {
  readonly #base: URL;
  readonly #token: string | undefined;
  readonly #actor: string | undefined;
  readonly #timeoutMs: number;
  readonly #agent = new Agent({ connections: 1 });

  constructor(options: ApiClientOptions) {
    this.#base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.#token = options.token;
    this.#actor = options.actor;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  listBlocks(filter: BlockListFilter = {}): Promise<Page<BlockEntry>> {
    return this.#send('GET', 'blocks', { query: filter });
  }

  getBlock(target: string): Promise<BlockEntry> {
    return this.#send('GET', `blocks/${encodeURIComponent(target)}`);
  }

  addBlock(body: { address: string; duration: string; reason: string }): Promise<BlockRecord> {
    return this.#send('POST', 'blocks', { body });
  }

  removeBlock(target: string, options: { grace?: string } = {}): Promise<BlockEntry> {
    return this.#send('DELETE', `blocks/${encodeURIComponent(target)}`, { query: options });
  }

  listVerdicts(filter: VerdictListFilter = {}): Promise<Page<Verdict>> {
    return this.#send('GET', 'verdicts', { query: filter });
  }

  listDecisions(filter: DecisionListFilter = {}): Promise<Page<Decision>> {
    return this.#send('GET', 'decisions', { query: filter });
  }

  stats(): Promise<GatewayStats> {
    return this.#send('GET', 'stats');
  }

  policyStatus(): Promise<PolicyStatus> {
    return this.#send('GET', 'policy');
  }

  resetGuards(): Promise<PolicyStatus> {
    return this.#send('POST', 'policy/guards/reset');
  }

  health(): Promise<HealthReport> {
    return this.#send('GET', 'health', { acceptStatus: [503] });
  }

  close(): Promise<void> {
    return this.#agent.close();
  }

  async #send<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { query?: object; body?: object; acceptStatus?: number[] } = {},
  ): Promise<T> {
    const url = new URL(path, this.#base);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (this.#actor) headers['x-flowguard-actor'] = this.#actor;
    if (options.body) headers['content-type'] = 'application/json';

    let statusCode: number;
    let text: string;
    try {
      const response = await request(url, {
        method,
        headers,
        body: options.body ? JSON.stringify(options.body) : undefined,
        dispatcher: this.#agent,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      statusCode = response.statusCode;
      text = await response.body.text();
    } catch (err) {
      throw requestFailed(url.href, err);
    }
    const body = parseJson(text);
    if (statusCode >= 400 && !options.acceptStatus?.includes(statusCode)) {
      const answer: { code?: string; message?: string } = typeof body === 'object' && body ? body : { message: text.slice(0, 200) };
      // The server's 401 names the HTTP header; a CLI user sets the token another way.
      if (statusCode === 401) answer.message = `${answer.message ?? 'Unauthorized'} Set FLOWGUARD_API_TOKEN or pass --token.`;
      throw responseError(`${method} ${url.pathname}`, statusCode, answer);
    }
    return body as T;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
