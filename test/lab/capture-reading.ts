import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../helpers/shared-data.ts';

/** Runs `flowguard <args>` from source and returns its standard output. */
export async function flowguard(args: string[]): Promise<string> {
  const result = await execa(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/lab/flowguard-cli.ts'), ...args], {
    cwd: REPO_ROOT,
    maxBuffer: 1024 * 1024 * 1024,
  });
  return String(result.stdout);
}

/** Fields of `flowguard packets --json` that the lab tests read. */
export interface PacketLine {
  timestampUs: number;
  ipVersion: number;
  src?: string;
  dst?: string;
  protocol?: number;
  dstPort?: number;
  tcpFlags?: number;
  icmpType?: number;
  payloadLength?: number;
}

/** Decodes a capture with `flowguard packets --json`. */
export async function readPackets(pcap: string): Promise<PacketLine[]> {
  const text = await flowguard(['packets', pcap, '--json']);
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as PacketLine);
}

/** `flowguard packets --stats --json` of a capture. */
export async function packetStats(pcap: string): Promise<{ packetsRead: number; packetsSkipped: number; protocols: Record<string, number> }> {
  return JSON.parse(await flowguard(['packets', pcap, '--stats', '--json']));
}
