import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Enforcer } from '../../src/enforce/enforcer.ts';
import { isFlowguardError } from '../../src/errors/index.ts';
import { canUseNamespaces, TestNetwork } from '../helpers/netns.ts';
import { nft, removeDir, request, stateDir, testOptions, waitFor } from './enforce-helpers.ts';

const canRun = await canUseNamespaces();
if (!canRun) process.stderr.write('enforce packet tests: skipped because they need root and iproute2 to create network namespaces\n');

const PORT = 9999;
const DATAGRAMS = 5;
// Sends a bounded number of UDP datagrams from one local address to another, then exits.
const SENDER = `
const dgram = require('node:dgram');
const [from, to, port, count] = process.argv.slice(1);
const socket = dgram.createSocket(to.includes(':') ? 'udp6' : 'udp4');
socket.bind({ address: from, port: 0 }, async () => {
  for (let i = 0; i < Number(count); i++) await new Promise((resolve) => socket.send('flowguard-test', Number(port), to, resolve));
  socket.close();
});`;

async function sendUdp(ns: string, from: string, to: string): Promise<void> {
  const result = await execa('ip', ['netns', 'exec', ns, process.execPath, '-e', SENDER, from, to, String(PORT), String(DATAGRAMS)], { reject: false, timeout: 10_000 });
  if (result.exitCode !== 0) throw new Error(`UDP sender failed: ${result.stderr}`);
}

async function ip(args: string[]): Promise<void> {
  const result = await execa('ip', args, { reject: false });
  if (result.exitCode !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr}`);
}

/** Per-source UDP counters on the receiving namespace, in a table of its own. */
class Receiver {
  readonly ns: string;
  readonly table: string;
  readonly sources: Record<string, string>;

  constructor(ns: string, table: string, sources: Record<string, string>) {
    this.ns = ns;
    this.table = table;
    this.sources = sources;
  }

  async install(): Promise<void> {
    const lines = [`table inet ${this.table} {`];
    for (const name of Object.keys(this.sources)) lines.push(`  counter ${name} {}`);
    lines.push('  chain input {', '    type filter hook input priority 0; policy accept;');
    for (const [name, address] of Object.entries(this.sources)) {
      lines.push(`    ${address.includes(':') ? 'ip6' : 'ip'} saddr ${address} udp dport ${PORT} counter name ${name}`);
    }
    lines.push('  }', '}');
    await nft(this.ns, ['-f', '-'], lines.join('\n') + '\n');
  }

  async received(name: string): Promise<number> {
    const parsed = JSON.parse(await nft(this.ns, ['-j', 'list', 'counter', 'inet', this.table, name])) as { nftables: Array<{ counter?: { packets: number } }> };
    return parsed.nftables.find((item) => item.counter)?.counter?.packets ?? 0;
  }
}

describe.skipIf(!canRun)('packets through a gateway namespace', () => {
  const net = new TestNetwork();
  const dirs: string[] = [];
  const enforcers: Enforcer[] = [];
  let client: string;
  let gateway: string;
  let server: string;
  let receiver: Receiver;

  beforeAll(async () => {
    client = await net.addNamespace('cl');
    gateway = await net.addNamespace('gw');
    server = await net.addNamespace('sv');
    await net.addLink({ ns: client, name: 'fcg', address: '10.61.1.2/24' }, { ns: gateway, name: 'fgc', address: '10.61.1.1/24' });
    await net.addLink({ ns: gateway, name: 'fgs', address: '10.61.2.1/24' }, { ns: server, name: 'fsg', address: '10.61.2.2/24' });
    const link = (name: string) => `${name}${net.suffix}`;
    await ip(['-n', client, 'addr', 'add', '10.61.1.3/24', 'dev', link('fcg')]);
    for (const [ns, dev, address] of [
      [client, 'fcg', 'fd61:1::2/64'],
      [gateway, 'fgc', 'fd61:1::1/64'],
      [gateway, 'fgs', 'fd61:2::1/64'],
      [server, 'fsg', 'fd61:2::2/64'],
    ]) {
      await ip(['-n', ns, 'addr', 'add', address, 'dev', link(dev), 'nodad']);
    }
    await ip(['-n', client, 'route', 'add', 'default', 'via', '10.61.1.1']);
    await ip(['-n', client, '-6', 'route', 'add', 'default', 'via', 'fd61:1::1']);
    await ip(['-n', server, 'route', 'add', 'default', 'via', '10.61.2.1']);
    await ip(['-n', server, '-6', 'route', 'add', 'default', 'via', 'fd61:2::1']);
    await execa('ip', ['netns', 'exec', gateway, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    receiver = new Receiver(server, `fgcount_${net.suffix}`, { client4: '10.61.1.2', allowed4: '10.61.1.3', client6: 'fd61:1::2' });
    await receiver.install();
  });

  afterAll(async () => {
    for (const enforcer of enforcers) await enforcer.destroy();
    for (const dir of dirs) await removeDir(dir);
    await net.destroy();
  });

  async function startEnforcer(ns: string, name: string, extra: Parameters<typeof testOptions>[3]) {
    const dir = await stateDir();
    dirs.push(dir);
    const options = testOptions(ns, `${net.suffix}_${name}`, dir, { monitor: false, removeOnStop: true, ...extra });
    const enforcer = new Enforcer(options);
    enforcers.push(enforcer);
    await enforcer.start();
    return { enforcer, table: String(options.tableName) };
  }

  /** Sends a burst and waits until the receiver's count settles at the expected value. */
  async function expectReceived(from: string, to: string, counter: string, expected: number): Promise<void> {
    await sendUdp(client, from, to);
    await waitFor(async () => (await receiver.received(counter)) >= expected, 5_000, `${expected} datagrams from ${from}`);
    expect(await receiver.received(counter)).toBe(expected);
  }

  it('router mode drops blocked, spares allowlisted', async () => {
    const { enforcer, table } = await startEnforcer(gateway, 'router', { allowlist: ['10.61.1.3'] });
    await expectReceived('10.61.1.2', '10.61.2.2', 'client4', DATAGRAMS);
    await expectReceived('fd61:1::2', 'fd61:2::2', 'client6', DATAGRAMS);

    await enforcer.block(request('10.61.1.2'));
    await enforcer.block(request('fd61:1::/64'));
    await sendUdp(client, '10.61.1.2', '10.61.2.2');
    await sendUdp(client, 'fd61:1::2', 'fd61:2::2');
    await waitFor(async () => {
      const { drops } = await enforcer.stats();
      return drops.hosts4?.packets === DATAGRAMS && drops.prefixes6?.packets === DATAGRAMS;
    }, 5_000, 'the drop counters');
    expect(await receiver.received('client4')).toBe(DATAGRAMS);
    expect(await receiver.received('client6')).toBe(DATAGRAMS);

    await enforcer.unblock('10.61.1.2');
    await enforcer.unblock('fd61:1::/64');
    await expectReceived('10.61.1.2', '10.61.2.2', 'client4', 2 * DATAGRAMS);
    await expectReceived('fd61:1::2', 'fd61:2::2', 'client6', 2 * DATAGRAMS);

    // The API refuses to block an allowlisted address, and even if one lands in a block set the
    // allow set's `return` comes first.
    const refused = await enforcer.block(request('10.61.1.3')).catch((err: unknown) => err);
    expect(isFlowguardError(refused, 'FG_ERR_ENFORCE_PROTECTED_TARGET')).toBe(true);
    await nft(gateway, ['add', 'element', 'inet', table, 'hosts4', '{ 10.61.1.3 timeout 1m }']);
    await expectReceived('10.61.1.3', '10.61.2.2', 'allowed4', DATAGRAMS);
    const { drops } = await enforcer.stats();
    expect(drops.hosts4.packets).toBe(DATAGRAMS);
    await enforcer.close();
  });

  it('SYN trap lists kernel-ratelimit entries', async () => {
    const { enforcer, table } = await startEnforcer(gateway, 'syntrap', { synTrap: { enabled: true, ratePerSecond: 20, burstPackets: 10, timeoutMs: 30_000 } });
    // 300 SYNs at 500/s: far above 20/s, bounded in count and time.
    const flood = await execa('ip', ['netns', 'exec', client, 'hping3', '-q', '-S', '-c', '300', '-i', 'u2000', '-p', '80', '10.61.2.2'], { reject: false, timeout: 20_000 });
    expect(flood.timedOut).toBe(false);
    await enforcer.reconcile();
    const trapped = enforcer.list({ origin: 'kernel-ratelimit' });
    expect(trapped.map((record) => record.target)).toEqual(['10.61.1.2']);
    expect(trapped[0].expiresAtMs).toBeGreaterThan(Date.now());
    expect(enforcer.get('10.61.1.2')?.origin).toBe('kernel-ratelimit');
    const { drops, trappedSources } = await enforcer.stats();
    expect(trappedSources).toBe(1);
    expect(drops.syntrap4.packets).toBeGreaterThan(200);

    const released = await enforcer.unblock('10.61.1.2', { actor: 'operator' });
    expect(released?.origin).toBe('kernel-ratelimit');
    expect(enforcer.list({ origin: 'kernel-ratelimit' })).toEqual([]);
    const [trapSet] = JSON.parse(await nft(gateway, ['-j', 'list', 'set', 'inet', table, 'syntrap4'])).nftables.filter((item: { set?: unknown }) => item.set);
    expect(trapSet.set.elem).toBeUndefined();
    await enforcer.close();
  });

  it('bridge mode drops a blocked source', async () => {
    const left = await net.addNamespace('bl');
    const bridge = await net.addNamespace('br');
    const right = await net.addNamespace('bx');
    const [, bridgeLeft] = await net.addLink({ ns: left, name: 'fbl', address: '10.62.0.2/24' }, { ns: bridge, name: 'fbbl' });
    const [bridgeRight] = await net.addLink({ ns: bridge, name: 'fbbr' }, { ns: right, name: 'fbr', address: '10.62.0.3/24' });
    await ip(['-n', bridge, 'link', 'add', 'fgbr0', 'type', 'bridge']);
    for (const port of [bridgeLeft, bridgeRight]) await ip(['-n', bridge, 'link', 'set', port, 'master', 'fgbr0']);
    await ip(['-n', bridge, 'link', 'set', 'fgbr0', 'up']);
    const bridged = new Receiver(right, `fgcount_${net.suffix}`, { left4: '10.62.0.2' });
    await bridged.install();

    const { enforcer, table } = await startEnforcer(bridge, 'bridge', { mode: 'bridge' });
    expect(JSON.parse(await nft(bridge, ['-j', 'list', 'table', 'bridge', table])).nftables.length).toBeGreaterThan(1);
    const send = () => execa('ip', ['netns', 'exec', left, process.execPath, '-e', SENDER, '10.62.0.2', '10.62.0.3', String(PORT), String(DATAGRAMS)], { timeout: 10_000 });
    await send();
    await waitFor(async () => (await bridged.received('left4')) === DATAGRAMS, 5_000, 'datagrams across the bridge');

    await enforcer.block(request('10.62.0.2'));
    await send();
    await waitFor(async () => (await enforcer.stats()).drops.hosts4?.packets === DATAGRAMS, 5_000, 'the bridge drop counter');
    expect(await bridged.received('left4')).toBe(DATAGRAMS);

    await enforcer.unblock('10.62.0.2');
    await send();
    await waitFor(async () => (await bridged.received('left4')) === 2 * DATAGRAMS, 5_000, 'datagrams after unblock');
    await enforcer.close();
  });
});
