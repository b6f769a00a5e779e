import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/commands/packets.ts';
import { hasSharedData, reportMissingSharedData, sharedPath } from '../helpers/shared-data.ts';
import { PcapngBuilder } from './capture-file-builder.ts';
import { ipv4, udp } from './frame-builder.ts';

reportMissingSharedData('packets command');

const tcpdumpInstalled = (await execa('tcpdump', ['--version'], { reject: false })).exitCode === 0;

/** Runs the command in this process and returns its exit code and what it wrote. */
async function runPackets(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await run(argv);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!hasSharedData)('flowguard packets', () => {
  const files = [
    sharedPath('pcaps', 'edge', 'tcpdump_vxlan.pcap'),
    sharedPath('pcaps', 'edge', 'zeek_ip-bogus-header-len.pcap'),
    sharedPath('pcaps', 'edge', 'ionianctf_truncated_file_dos.pcap'),
    sharedPath('pcaps', 'benign', 'tcpreplay_test.pcap'),
  ];

  it.skipIf(!tcpdumpInstalled)('prints one line per packet tcpdump counts', async () => {
    for (const file of files) {
      const { code, stdout } = await runPackets([file]);
      expect(code).toBe(0);
      const tcpdump = await execa('tcpdump', ['-n', '-r', file, '--count'], { reject: false });
      const count = Number(/(\d+) packets?/.exec(String(tcpdump.stdout))?.[1]);
      expect(stdout.trimEnd().split('\n'), file).toHaveLength(count);
    }
  });

  it('prints addresses, ports, flags and lengths', async () => {
    const { stdout } = await runPackets([sharedPath('pcaps', 'benign', 'tcpdump_dns_tcp.pcap')]);
    const first = stdout.split('\n')[0];
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z ethernet IPv4 \S+\.\d+ > \S+\.53 TCP \[S\] seq \d+ win \d+ caplen \d+ len \d+ ip \d+ payload 0$/);
  });

  it('marks skipped packets and warns on truncation', async () => {
    const bogus = await runPackets([sharedPath('pcaps', 'edge', 'zeek_ip-bogus-header-len.pcap')]);
    expect(bogus.stdout).toContain('skipped ipv4-total-length-invalid');
    const cut = await runPackets([sharedPath('pcaps', 'edge', 'ionianctf_truncated_file_dos.pcap')]);
    expect(cut.stderr).toContain('ends inside a record');
  });

  it('prints JSON lines and JSON stats', async () => {
    const file = sharedPath('pcaps', 'edge', 'zeek_ipv6-fragmented-dns.pcap');
    const lines = (await runPackets([file, '--json'])).stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatchObject({ ipVersion: 6, protocol: 17, dstPort: 53, l4Decoded: true });
    const stats = JSON.parse((await runPackets([file, '--stats', '--json'])).stdout) as Record<string, unknown>;
    expect(stats).toMatchObject({ packetsRead: 8, ipv6Packets: 8, linkTypes: { ethernet: 8 }, protocols: { udp: 8 } });
  });

  it('prints stats as text', async () => {
    const { stdout } = await runPackets([sharedPath('pcaps', 'benign', 'tcpreplay_test.pcap'), '--stats']);
    expect(stdout).toContain('179 read, 178 decoded, 1 skipped');
    expect(stdout).toMatch(/skipped\s+ip-length-exceeds-frame 1/);
    expect(stdout).toMatch(/link type\s+ethernet 179/);
  });

  it('rejects wrong arguments', async () => {
    expect((await runPackets([])).code).toBe(2);
    await expect(runPackets(['--bogus', 'x'])).rejects.toMatchObject({ code: 'FG_ERR_CAPTURE_OPTIONS' });
    await expect(runPackets([sharedPath('pcaps', 'edge', 'libpcap_pcap-invalid-version-1.pcap')])).rejects.toMatchObject({ code: 'FG_ERR_CAPTURE_FILE_FORMAT' });
  });
});

describe('flowguard packets on generated files', () => {
  it('prints raw microseconds beyond the Date range', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowguard-packets-'));
    try {
      const path = join(dir, 'far-future.pcapng');
      const frame = Uint8Array.from(ipv4({ protocol: 17 }, udp(1, 2)));
      await writeFile(path, new PcapngBuilder().sectionHeader().interface(101).enhancedPacket(0, 0xffffffffffffffffn, frame).build());
      const { code, stdout } = await runPackets([path]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^\d+us raw IPv4 192\.0\.2\.1\.1 > 198\.51\.100\.2\.2 UDP /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
