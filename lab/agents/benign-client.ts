/**
 * Benign client agent, run inside one client namespace. It runs the configured activities side by
 * side until SIGTERM or its time bound, and prints a stats line (JSON) every interval and one
 * final line on exit.
 *
 * Usage: node --import tsx lab/agents/benign-client.ts '<BenignAgentConfig JSON>'
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import http from 'node:http';
import { assertLabAddress } from '../addresses.ts';
import { SeededRandom } from '../random.ts';
import type { ActivityKind, ActivityStats, AgentStatsLine, BenignActivity, BenignAgentConfig } from './agent-config.ts';
import { USER_AGENTS } from './user-agents.ts';

const REQUEST_TIMEOUT_MS = 15_000;
const DNS_TIMEOUT_MS = 2_000;

const config = JSON.parse(process.argv[2] ?? '{}') as BenignAgentConfig;
assertLabAddress(config.targetAddress, `benign client ${config.host}`);

const stopController = new AbortController();
const stopSignal = stopController.signal;
const stats: Partial<Record<ActivityKind, ActivityStats>> = {};
const recentErrors: string[] = [];

function record(kind: ActivityKind, ok: boolean, bytes: number, error?: string): void {
  const entry = (stats[kind] ??= { requests: 0, ok: 0, failed: 0, bytes: 0 });
  entry.requests++;
  entry.bytes += bytes;
  if (ok) entry.ok++;
  else {
    entry.failed++;
    if (error) {
      recentErrors.push(`${kind}: ${error}`);
      if (recentErrors.length > 5) recentErrors.shift();
    }
  }
}

function printStats(final: boolean): void {
  const line: AgentStatsLine = { type: 'stats', host: config.host, final, byKind: stats, recentErrors };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Sleeps for `ms` or until the agent is stopped; returns false once stopped. */
function pause(ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (stopSignal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      stopSignal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    stopSignal.addEventListener('abort', onAbort, { once: true });
  });
}

function think(random: SeededRandom, [min, max]: [number, number]): Promise<boolean> {
  return pause(random.between(min, max));
}

interface Fetched {
  status: number;
  bytes: number;
}

/** Sends one HTTP request and resolves with status and body size; rejects on network error or timeout. */
function request(agent: http.Agent | false, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: config.targetAddress, port: config.httpPort, method, path, agent, headers, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function fetchCounted(kind: ActivityKind, agent: http.Agent | false, method: string, path: string, headers: Record<string, string>, body?: string): Promise<void> {
  try {
    const result = await request(agent, method, path, headers, body);
    const ok = result.status >= 200 && result.status < 300;
    record(kind, ok, result.bytes, ok ? undefined : `${method} ${path} returned ${result.status}`);
  } catch (err) {
    record(kind, false, 0, `${method} ${path}: ${(err as Error).message}`);
  }
}

function newAgent(keepAlive: boolean): http.Agent | false {
  return keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 6, keepAliveMsecs: 1_000 }) : false;
}

async function browse(activity: Extract<BenignActivity, { kind: 'browse' }>, random: SeededRandom): Promise<void> {
  const agent = newAgent(activity.keepAlive);
  const userAgent = random.pick(USER_AGENTS);
  let referer: string | undefined;
  while (!stopSignal.aborted) {
    const page = random.pick(config.site.pages);
    const headers: Record<string, string> = { 'User-Agent': userAgent, Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    if (referer) headers.Referer = `http://${config.targetAddress}${referer}`;
    await fetchCounted('browse', agent, 'GET', page.path, headers);
    // Assets load in small parallel batches, as a browser does over a few connections.
    const assets = [...page.assets];
    while (assets.length > 0 && !stopSignal.aborted) {
      const batch = assets.splice(0, activity.parallelAssets);
      await Promise.all(batch.map((asset) => fetchCounted('browse', agent, 'GET', asset, { 'User-Agent': userAgent, Referer: `http://${config.targetAddress}${page.path}` })));
    }
    referer = page.path;
    if (!(await think(random, activity.thinkMs))) break;
  }
  if (agent) agent.destroy();
}

async function download(activity: Extract<BenignActivity, { kind: 'download' }>, random: SeededRandom): Promise<void> {
  while (await think(random, activity.thinkMs)) {
    const file = random.pick(config.site.downloads);
    await fetchCounted('download', false, 'GET', file.path, { 'User-Agent': 'Wget/1.21.3' });
  }
}

async function api(activity: Extract<BenignActivity, { kind: 'api' }>, random: SeededRandom): Promise<void> {
  const agent = newAgent(activity.keepAlive);
  const headers = { 'User-Agent': 'inventory-sync/2.3', Accept: 'application/json' };
  while (!stopSignal.aborted) {
    const choice = random.next();
    if (choice < activity.postShare) {
      const body = JSON.stringify({ id: random.int(1, 40), quantity: random.int(1, 9), note: random.token(random.int(5, 200)) });
      await fetchCounted('api', agent, 'POST', config.site.apiEcho, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }, body);
    } else if (choice < activity.postShare + 0.2) {
      await fetchCounted('api', agent, 'GET', config.site.apiStatus, headers);
    } else {
      await fetchCounted('api', agent, 'GET', random.pick(config.site.apiItems), headers);
    }
    if (!(await think(random, activity.thinkMs))) break;
  }
  if (agent) agent.destroy();
}

function dnsQuery(id: number, name: string): Buffer {
  const labels = name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // recursion desired
  header.writeUInt16BE(1, 4);
  const tail = Buffer.from([0, 0, 1, 0, 1]); // root label, type A, class IN
  return Buffer.concat([header, ...labels, tail]);
}

async function dns(activity: Extract<BenignActivity, { kind: 'dns' }>, random: SeededRandom): Promise<void> {
  const socket = createSocket(config.targetAddress.includes(':') ? 'udp6' : 'udp4');
  const pending = new Map<number, (ok: boolean) => void>();
  socket.on('message', (message) => {
    if (message.length >= 2) pending.get(message.readUInt16BE(0))?.(true);
  });
  socket.on('error', (err) => record('dns', false, 0, err.message));
  while (!stopSignal.aborted) {
    const id = random.int(0, 0xffff);
    const name = `${random.pick(['www', 'api', 'cdn', 'mail', 'static'])}.${random.token(random.int(3, 10))}.lab.internal`;
    const answered = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), DNS_TIMEOUT_MS);
      pending.set(id, (ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
      socket.send(dnsQuery(id, name), config.udpPort, config.targetAddress);
    });
    pending.delete(id);
    record('dns', answered, answered ? 1 : 0, answered ? undefined : `no answer for ${name} within ${DNS_TIMEOUT_MS} ms`);
    if (!(await think(random, activity.thinkMs))) break;
  }
  socket.close();
}

/** Holds one keep-alive connection open, with a small request now and then. */
async function idle(activity: Extract<BenignActivity, { kind: 'idle' }>): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  while (!stopSignal.aborted) {
    await fetchCounted('idle', agent, 'GET', '/api/status', { 'User-Agent': 'status-monitor/1.0' });
    if (!(await pause(activity.requestEveryMs))) break;
  }
  agent.destroy();
}

/**
 * Pings the target now and then with a few ICMP echo requests (hping3, since iputils-ping is not
 * a lab dependency), so ICMP in a capture is not always a flood. IPv4 only: hping3 has no IPv6.
 */
async function ping(activity: Extract<BenignActivity, { kind: 'ping' }>, random: SeededRandom): Promise<void> {
  while (await think(random, activity.thinkMs)) {
    const ok = await new Promise<boolean>((resolve) => {
      const child = execFile('hping3', ['--icmp', '-c', String(activity.count), '-i', '1', config.targetAddress], { timeout: (activity.count + 3) * 1_000 }, (err) => resolve(!err));
      stopSignal.addEventListener('abort', () => child.kill('SIGTERM'), { once: true });
    });
    // A ping cut short by the stop is neither a success nor a failure.
    if (stopSignal.aborted) break;
    record('ping', ok, 0, ok ? undefined : `hping3 --icmp to ${config.targetAddress} got no reply`);
  }
}

function runActivity(activity: BenignActivity, random: SeededRandom): Promise<void> {
  switch (activity.kind) {
    case 'browse':
      return browse(activity, random);
    case 'download':
      return download(activity, random);
    case 'api':
      return api(activity, random);
    case 'dns':
      return dns(activity, random);
    case 'idle':
      return idle(activity);
    case 'ping':
      return ping(activity, random);
  }
}

const root = new SeededRandom(config.seed);
const statsTimer = setInterval(() => printStats(false), config.statsIntervalMs);
const hardStop = setTimeout(() => stopController.abort(), config.maxDurationMs);
process.on('SIGTERM', () => stopController.abort());
process.on('SIGINT', () => stopController.abort());

const running = config.activities.map((activity, index) => runActivity(activity, new SeededRandom(root.derive(`${activity.kind}-${index}`))));
await Promise.all(running);
clearInterval(statsTimer);
clearTimeout(hardStop);
printStats(true);
process.exit(0);
