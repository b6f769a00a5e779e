import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { get, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { request } from 'undici';
import { ApiServer } from '../../src/api/server.ts';
import { MemoryGatewayServices } from '../../src/api/memory-services.ts';
import { main } from '../../src/cli.ts';
import { AUTH, TOKEN, makeVerdict, waitFor } from './helpers.ts';

interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a live stream in the background and collects its events. */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await request(`${url}/events`, { headers, signal: controller.signal });
  const events: StreamEvent[] = [];
  let ended = false;
  const reading = (async () => {
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += chunk.toString('utf8');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // Aborted by the test.
    }
    ended = true;
  })();
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    events,
    get ended() {
      return ended;
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}

describe('API on a listening server', () => {
  let services: MemoryGatewayServices;
  let server: ApiServer;

  beforeAll(async () => {
    services = new MemoryGatewayServices();
    await services.start();
    server = new ApiServer({ services, options: { port: 0, token: TOKEN, stream: { verdictsPerSecond: 3, maxClients: 2, maxBufferedBytes: 4_096 } } });
    await server.start();
  });

  afterAll(async () => {
    await server.close();
    await services.close();
  });

  it('listens on 127.0.0.1 by default', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('checks the token over a real socket', async () => {
    const body = JSON.stringify({ address: '192.0.2.40', duration: '5m', reason: 'socket test' });
    const headers = { 'content-type': 'application/json' };
    const missing = await request(`${server.url}/blocks`, { method: 'POST', body, headers });
    expect(missing.statusCode).toBe(401);
    await missing.body.dump();
    const wrong = await request(`${server.url}/blocks`, { method: 'POST', body, headers: { ...headers, authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    await wrong.body.dump();
    const right = await request(`${server.url}/blocks`, { method: 'POST', body, headers: { ...headers, ...AUTH } });
    expect(right.statusCode).toBe(201);
    expect(await right.body.json()).toMatchObject({ target: '192.0.2.40' });
    const removed = await request(`${server.url}/blocks/192.0.2.40`, { method: 'DELETE', headers: AUTH });
    expect(removed.statusCode).toBe(200);
    await removed.body.dump();
  });

  it('rejects bad input over a real socket', async () => {
    const response = await request(`${server.url}/blocks?limit=0`);
    expect(response.statusCode).toBe(400);
    expect(((await response.body.json()) as { message: string }).message).toContain("query parameter 'limit'");
  });

  it('streams verdicts, decisions, guard trips and traffic', async () => {
    const stream = await openStream(server.url);
    try {
      expect(stream.statusCode).toBe(200);
      expect(stream.headers['content-type']).toContain('text/event-stream');
      await waitFor('hello event', () => stream.events.some((event) => event.event === 'hello'));

      for (let i = 0; i < 10; i++) services.recordVerdict(makeVerdict({ srcAddr: '192.0.2.66', label: 'attack', flowRecordId: i }));
      services.blockAutomatically({ target: '192.0.2.66', durationMs: 60_000, reason: 'policy test' });
      services.tripGuard('block-rate', 'more than 100 blocks per minute');
      services.recordPackets(100, 64_000);
      const sample = services.flushTraffic();
      expect(sample).toMatchObject({ packets: 100, bytes: 64_000, attackFlows: 10 });

      const traffic = await waitFor('traffic event', () => stream.events.find((event) => event.event === 'traffic'));
      const verdicts = stream.events.filter((event) => event.event === 'verdict');
      // At most 3 per second; the burst may straddle one second boundary.
      expect(verdicts.length).toBeGreaterThanOrEqual(3);
      expect(verdicts.length).toBeLessThanOrEqual(6);
      expect(traffic.data).toMatchObject({ packets: 100, bytes: 64_000, attackFlows: 10, benignFlows: 0, eventsDropped: 0 });
      expect(verdicts.length + Number(traffic.data.verdictsSkipped)).toBe(10);
      expect(stream.events.find((event) => event.event === 'decision')?.data).toMatchObject({ action: 'block', target: '192.0.2.66', actor: 'policy' });
      expect(stream.events.find((event) => event.event === 'guard')?.data).toMatchObject({ guard: 'block-rate' });
    } finally {
      await stream.close();
    }
  });

  it('drops events for a client that stops reading', async () => {
    const dropped = async () => Number(/flowguard_api_stream_dropped_events_total (\d+)/.exec(await services.metrics.metrics())?.[1] ?? 0);
    const before = await dropped();
    const chunks: string[] = [];
    const response = await new Promise<IncomingMessage>((resolve) => get(`${server.url}/events`, resolve));
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => chunks.push(chunk));
    try {
      await waitFor('hello event', () => chunks.join('').includes('event: hello'));
      response.pause();
      // About 6 MB of guard events: more than the socket buffers and the 4 KiB limit take.
      const message = 'x'.repeat(300);
      for (let i = 0; i < 20_000; i++) services.tripGuard('block-rate', message);
      expect(await dropped()).toBeGreaterThan(before);
      response.resume();
      const dropReport = await waitFor('traffic event with a drop count', () => {
        services.flushTraffic();
        const match = /event: traffic\nid: \d+\ndata: (.+)\n/.exec(chunks.join(''));
        return match ? (JSON.parse(match[1]) as { eventsDropped: number }) : undefined;
      });
      expect(dropReport.eventsDropped).toBeGreaterThan(0);
    } finally {
      response.destroy();
    }
  });

  it('rejects stream clients beyond the maximum', async () => {
    const first = await openStream(server.url);
    const second = await openStream(server.url);
    try {
      await waitFor('both streams open', () => first.events.length > 0 && second.events.length > 0);
      const third = await request(`${server.url}/events`);
      expect(third.statusCode).toBe(503);
      expect(((await third.body.json()) as { code: string }).code).toBe('FG_ERR_API_STREAM_FULL');
    } finally {
      await first.close();
      await second.close();
    }
  });

  describe('CLI client', () => {
    let output: string[];

    afterEach(() => {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    });

    function captureOutput() {
      output = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output.push(String(chunk));
        return true;
      });
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        output.push(String(chunk));
        return true;
      });
    }

    it('adds, lists and removes blocks with flags', async () => {
      captureOutput();
      expect(await main(['blocks', 'add', '192.0.2.80', '--duration', '15m', '--reason', 'cli test', '--url', server.url, '--token', TOKEN])).toBe(0);
      expect(output.join('')).toContain('Blocked 192.0.2.80 until');
      output.length = 0;
      expect(await main(['blocks', 'list', '--state', 'active', '--url', server.url])).toBe(0);
      expect(output.join('')).toMatch(/192\.0\.2\.80\s+active\s+manual\s+1[45]m/);
      output.length = 0;
      expect(await main(['blocks', 'remove', '192.0.2.80', '--grace', '5m', '--url', server.url, '--token', TOKEN])).toBe(0);
      expect(output.join('')).toContain('Unblocked 192.0.2.80');
      const audit = (await services.sources.describe('192.0.2.80'))?.decisions ?? [];
      expect(audit[0]).toMatchObject({ action: 'unblock', graceMs: 300_000 });
      expect(String(audit[0].actor)).toMatch(/^cli/);
    });

    it('takes the address and token from the environment', async () => {
      vi.stubEnv('FLOWGUARD_API_URL', server.url);
      vi.stubEnv('FLOWGUARD_API_TOKEN', TOKEN);
      captureOutput();
      expect(await main(['blocks', 'add', '2001:db8::80', '--duration', '1h', '--reason', 'env test', '--json'])).toBe(0);
      expect(JSON.parse(output.join(''))).toMatchObject({ target: '2001:db8::80', durationMs: 3_600_000 });
    });

    it('reports server errors and usage errors with exit code 2', async () => {
      captureOutput();
      expect(await main(['blocks', 'remove', '192.0.2.99', '--url', server.url, '--token', TOKEN])).toBe(2);
      expect(output.join('')).toContain('No active block for 192.0.2.99');
      expect(await main(['blocks', 'add', '192.0.2.99', '--duration', '15m', '--reason', 'x', '--url', server.url, '--token', 'wrong'])).toBe(2);
      expect(output.join('')).toContain('Wrong bearer token');
      expect(output.join('')).toContain('Set FLOWGUARD_API_TOKEN or pass --token.');
      expect(await main(['stats', '--url', 'notaurl'])).toBe(2);
      expect(output.join('')).toContain("Invalid --url 'notaurl'");
      expect(await main(['blocks', 'frobnicate', '--url', server.url])).toBe(2);
      expect(await main(['blocks', 'list', '--colour', '--url', server.url])).toBe(2);
      expect(output.join('')).toContain("Unknown option '--colour'");
    });

    it('reports an unreachable gateway', async () => {
      captureOutput();
      expect(await main(['stats', '--url', 'http://127.0.0.1:1'])).toBe(1);
      expect(output.join('')).toContain('FG_ERR_API_REQUEST_FAILED');
    });

    it('lists verdicts and stats', async () => {
      services.recordVerdict(makeVerdict({ srcAddr: '192.0.2.123', label: 'attack', probability: 0.991 }));
      captureOutput();
      expect(await main(['verdicts', '--source', '192.0.2.123', '--url', server.url])).toBe(0);
      expect(output.join('')).toMatch(/192\.0\.2\.123:40000\s+198\.51\.100\.10:80\s+6\s+0\.991\s+attack/);
      output.length = 0;
      expect(await main(['stats', '--url', server.url])).toBe(0);
      expect(output.join('')).toMatch(/health\s+ok/);
      expect(output.join('')).toMatch(/attack verdicts\s+\d+/);
    });

    it('lists decisions and rejects an unknown action by name', async () => {
      captureOutput();
      expect(await main(['blocks', 'add', '192.0.2.124', '--duration', '15m', '--reason', 'cli decision test', '--url', server.url, '--token', TOKEN])).toBe(0);
      output.length = 0;
      expect(await main(['decisions', '--target', '192.0.2.124', '--url', server.url])).toBe(0);
      expect(output.join('')).toMatch(/block\s+192\.0\.2\.124\s+15m\s+manual\/\S+\s+cli decision test/);
      expect(output.join('')).toContain('1 of 1 decisions');
      output.length = 0;
      expect(await main(['decisions', '--action', 'ban', '--url', server.url])).toBe(2);
      expect(output.join('')).toContain("query parameter 'action'");
    });
  });
});

describe('API server start', () => {
  it('reports a port in use with a coded error', async () => {
    const services = new MemoryGatewayServices();
    const first = new ApiServer({ services, options: { port: 0 } });
    await first.start();
    try {
      const port = Number(new URL(first.url).port);
      const second = new ApiServer({ services, options: { port } });
      await expect(second.start()).rejects.toMatchObject({ code: 'FG_ERR_API_LISTEN_FAILED', message: expect.stringContaining('set api.port') });
      expect(second.state).toBe('failed');
    } finally {
      await first.close();
    }
  });

  it('sends security headers with the dashboard', async () => {
    const services = new MemoryGatewayServices();
    const server = new ApiServer({ services, options: { port: 0 } });
    await server.start();
    try {
      const response = await request(`${server.url}/`);
      await response.body.dump();
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('API server shutdown', () => {
  it('closes while a connection never sends a request', async () => {
    const services = new MemoryGatewayServices();
    const server = new ApiServer({ services, options: { port: 0 } });
    await server.start();
    const url = new URL(server.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(10_000);
    socket.destroy();
  });

  it('closes while a stream client is connected', async () => {
    const services = new MemoryGatewayServices();
    const server = new ApiServer({ services, options: { port: 0 } });
    await server.start();
    const stream = await openStream(server.url);
    await waitFor('hello event', () => stream.events.length > 0);
    const started = Date.now();
    await server.close();
    await waitFor('stream end', () => stream.ended);
    expect(Date.now() - started).toBeLessThan(5_000);
    await stream.close();
  });
});
