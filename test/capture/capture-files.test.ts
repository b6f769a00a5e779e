import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFlowguardError } from '../../src/errors/index.ts';
import { FilePacketSource, readCaptureFile, type CaptureFileStats, type DecodedPacket } from '../../src/capture/index.ts';
import { writeHttpFlowsPcap, writeSynFloodPcap, xorshift32 } from '../helpers/synthetic-pcap.ts';
import { buildPcap, PcapngBuilder } from './capture-file-builder.ts';
import { ethernet, ipv4, tcp, udp } from './frame-builder.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowguard-capture-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const UDP_FRAME = Uint8Array.from(ethernet(0x0800, ipv4({ protocol: 17 }, udp(1000, 53, [1, 2, 3]))));
const TCP_FRAME = Uint8Array.from(ethernet(0x0800, ipv4({ protocol: 6 }, tcp({ srcPort: 2000, dstPort: 80, flags: 0x12 }))));

async function write(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

async function collect(path: string, options: { chunkBytes?: number } = {}): Promise<{ stats: CaptureFileStats; packets: Array<Omit<DecodedPacket, 'src6' | 'dst6'>> }> {
  const packets: Array<Omit<DecodedPacket, 'src6' | 'dst6'>> = [];
  const stats = await readCaptureFile(
    path,
    (packet) => {
      const { src6: _src6, dst6: _dst6, ...fields } = packet;
      packets.push(fields);
    },
    options,
  );
  return { stats, packets };
}

async function rejection(path: string): Promise<unknown> {
  return readCaptureFile(path, () => undefined).then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('classic pcap', () => {
  it.each([
    { littleEndian: true, nanoseconds: false },
    { littleEndian: false, nanoseconds: false },
    { littleEndian: true, nanoseconds: true },
    { littleEndian: false, nanoseconds: true },
  ])('reads little-endian=$littleEndian nanoseconds=$nanoseconds', async ({ littleEndian, nanoseconds }) => {
    const fraction = nanoseconds ? 123_456_789 : 123_456;
    const path = await write(
      `order-${littleEndian}-${nanoseconds}.pcap`,
      buildPcap({ littleEndian, nanoseconds, linkType: 1, records: [{ seconds: 1_700_000_000, fraction, frame: UDP_FRAME }, { seconds: 1_700_000_001, fraction: 0, frame: TCP_FRAME }] }),
    );
    const { stats, packets } = await collect(path);
    expect(stats.byteOrder).toBe(littleEndian ? 'little-endian' : 'big-endian');
    expect(stats.interfaces[0].timestampResolution).toBe(nanoseconds ? 'ns' : 'us');
    expect(packets.map((p) => [p.timestampUs, p.timestampExtraNs, p.protocol])).toEqual([
      [1_700_000_000_123_456, nanoseconds ? 789 : 0, 17],
      [1_700_000_001_000_000, 0, 6],
    ]);
  });

  it('parses records across chunk boundaries', async () => {
    const path = join(dir, 'http.pcap');
    const written = writeHttpFlowsPcap(path, { flows: 60, exchangesPerFlow: 20, responseBytes: 1000 });
    const small = await collect(path, { chunkBytes: 64 * 1024 });
    const large = await collect(path);
    expect(small.stats.packetsRead).toBe(written);
    expect(small.stats.fileBytes).toBe(large.stats.fileBytes);
    expect(small.packets).toEqual(large.packets);
  });

  it('grows the buffer for a record larger than a chunk', async () => {
    const big = Uint8Array.from(ethernet(0x0800, ipv4({ protocol: 17, totalLength: 0 }, udp(1, 2, new Array(100_000).fill(7)))));
    const path = await write('big.pcap', buildPcap({ littleEndian: true, nanoseconds: false, linkType: 1, records: [{ seconds: 1, fraction: 0, frame: UDP_FRAME }, { seconds: 2, fraction: 0, frame: big }, { seconds: 3, fraction: 0, frame: UDP_FRAME }] }));
    const { stats, packets } = await collect(path, { chunkBytes: 64 * 1024 });
    expect(stats.packetsRead).toBe(3);
    // Total length 0 above 64 KiB is Linux BIG TCP: the IP size comes from the frame.
    expect(packets[1].ipTotalLength).toBe(big.length - 14);
  });

  it('warns when the file ends inside a record', async () => {
    const whole = buildPcap({ littleEndian: true, nanoseconds: false, linkType: 1, records: [{ seconds: 1, fraction: 0, frame: UDP_FRAME }, { seconds: 2, fraction: 0, frame: TCP_FRAME }] });
    const path = await write('cut.pcap', whole.subarray(0, whole.length - 5));
    const { stats } = await collect(path);
    expect(stats.packetsRead).toBe(1);
    expect(stats.truncated).toBe(true);
    expect(stats.warnings[0]).toContain('ends inside a record');
  });

  it('stops at a record header with an absurd length', async () => {
    const whole = buildPcap({ littleEndian: true, nanoseconds: false, linkType: 1, records: [{ seconds: 1, fraction: 0, frame: UDP_FRAME }, { seconds: 2, fraction: 0, frame: TCP_FRAME }] });
    whole.writeUInt32LE(0x7fffffff, 24 + 16 + UDP_FRAME.length + 8);
    const { stats } = await collect(await write('absurd.pcap', whole));
    expect(stats.packetsRead).toBe(1);
    expect(stats.corrupt).toBe(true);
  });

  it('rejects an unsupported link type by number', async () => {
    const path = await write('usb.pcap', buildPcap({ littleEndian: true, nanoseconds: false, linkType: 189, records: [] }));
    const error = await rejection(path);
    expect(error).toMatchObject({ code: 'FG_ERR_CAPTURE_LINK_TYPE_UNSUPPORTED' });
    expect((error as Error).message).toContain('link type 189');
  });

  it('rejects unknown magic, short files and missing files', async () => {
    const text = await rejection(await write('notes.pcap', Buffer.from('hello, this is not a capture file')));
    expect(text).toMatchObject({ code: 'FG_ERR_CAPTURE_FILE_FORMAT' });
    expect((text as Error).message).toContain('notes.pcap');
    expect((text as Error).message).toContain('0x68656c6c');
    expect(await rejection(await write('short.pcap', Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0])))).toMatchObject({ code: 'FG_ERR_CAPTURE_FILE_FORMAT' });
    expect(await rejection(await write('empty.pcap', Buffer.alloc(0)))).toMatchObject({ code: 'FG_ERR_CAPTURE_FILE_FORMAT' });
    expect(await rejection(join(dir, 'missing.pcap'))).toMatchObject({ code: 'FG_ERR_CAPTURE_FILE_OPEN' });
    expect(await rejection(dir)).toMatchObject({ code: 'FG_ERR_CAPTURE_FILE_OPEN', message: expect.stringContaining(`'${dir}': it is a directory`) });
  });

  it('stops at the next chunk when aborted', async () => {
    const path = join(dir, 'flood.pcap');
    writeSynFloodPcap(path, { packets: 20_000 });
    const abort = new AbortController();
    let seen = 0;
    const stats = await readCaptureFile(
      path,
      () => {
        seen++;
        if (seen === 10) abort.abort();
      },
      { signal: abort.signal, chunkBytes: 64 * 1024 },
    );
    expect(stats.aborted).toBe(true);
    expect(stats.packetsRead).toBeLessThan(20_000);
  });
});

describe('pcapng', () => {
  it('reads several interfaces with their own link type and resolution', async () => {
    const rawFrame = Uint8Array.from(ipv4({ protocol: 17 }, udp(7, 9)));
    const file = new PcapngBuilder()
      .sectionHeader([new PcapngBuilder().option(4, Buffer.from('flowguard test'))])
      .interface(1, { snapLength: 65535 })
      .interface(101, { tsresol: 9, tsoffsetSeconds: 10 })
      .interface(1, { tsresol: 0x80 | 20 })
      .enhancedPacket(0, 1_700_000_000_123_456n, UDP_FRAME, UDP_FRAME.length, true)
      .block(5, Buffer.alloc(8)) // Interface Statistics Block: skipped by length
      .enhancedPacket(1, 1_700_000_000_123_456_789n, rawFrame)
      .enhancedPacket(2, 3n << 20n, TCP_FRAME)
      .simplePacket(UDP_FRAME)
      .obsoletePacket(0, 5_000_000n, TCP_FRAME)
      .build();
    const { stats, packets } = await collect(await write('multi.pcapng', file));
    expect(stats.format).toBe('pcapng');
    expect(stats.interfaces.map((i) => [i.linkType, i.timestampResolution, i.packets])).toEqual([
      [1, 'us', 3],
      [101, 'ns', 1],
      [1, '2^-20 s', 1],
    ]);
    expect(packets.map((p) => [p.interfaceId, p.linkType, p.timestampUs, p.timestampExtraNs, p.protocol])).toEqual([
      [0, 1, 1_700_000_000_123_456, 0, 17],
      [1, 101, 1_700_000_010_123_456, 789, 17],
      [2, 1, 3_000_000, 0, 6],
      [0, 1, 0, 0, 17],
      [0, 1, 5_000_000, 0, 6],
    ]);
    expect(stats.linkTypes).toEqual({ ethernet: 4, raw: 1 });
  });

  it('reads a big-endian section after a little-endian one', async () => {
    const first = new PcapngBuilder(true).sectionHeader().interface(1).enhancedPacket(0, 1n, UDP_FRAME).build();
    const second = new PcapngBuilder(false).sectionHeader().interface(101).enhancedPacket(0, 2n, Uint8Array.from(ipv4({ protocol: 6 }, tcp({ srcPort: 1, dstPort: 2, flags: 2 })))).build();
    const { stats, packets } = await collect(await write('sections.pcapng', Buffer.concat([first, second])));
    expect(stats.byteOrder).toBe('big-endian');
    expect(packets.map((p) => [p.interfaceId, p.linkType, p.timestampUs])).toEqual([
      [0, 1, 1],
      [1, 101, 2],
    ]);
  });

  it('stops with a warning at a zero-length block', async () => {
    const file = new PcapngBuilder().sectionHeader().interface(1).enhancedPacket(0, 1n, UDP_FRAME).raw(Buffer.from([6, 0, 0, 0, 0, 0, 0, 0])).enhancedPacket(0, 2n, UDP_FRAME).build();
    const { stats } = await collect(await write('zero-block.pcapng', file));
    expect(stats.packetsRead).toBe(1);
    expect(stats.corrupt).toBe(true);
    expect(stats.warnings[0]).toContain('total length 0');
  });

  it('stops at a packet naming an undeclared interface', async () => {
    const file = new PcapngBuilder().sectionHeader().interface(1).enhancedPacket(3, 1n, UDP_FRAME).build();
    const { stats } = await collect(await write('no-interface.pcapng', file));
    expect(stats.packetsRead).toBe(0);
    expect(stats.warnings[0]).toContain('interface 3');
  });

  it('warns when the file ends inside a block', async () => {
    const file = new PcapngBuilder().sectionHeader().interface(1).enhancedPacket(0, 1n, UDP_FRAME).enhancedPacket(0, 2n, UDP_FRAME).build();
    const { stats } = await collect(await write('cut.pcapng', file.subarray(0, file.length - 7)));
    expect(stats.packetsRead).toBe(1);
    expect(stats.truncated).toBe(true);
  });

  it('rejects broken section headers and unsupported interfaces', async () => {
    const badOption = new PcapngBuilder().sectionHeader([Buffer.from([1, 0, 200, 0, 0, 0, 0, 0])]).build();
    const badOptionError = await rejection(await write('bad-option.pcapng', badOption));
    expect(badOptionError).toMatchObject({ code: 'FG_ERR_CAPTURE_FILE_FORMAT' });
    expect((badOptionError as Error).message).toContain('overruns');

    const badMagic = new PcapngBuilder().sectionHeader().build();
    badMagic.writeUInt32LE(0x11223344, 8);
    expect(await rejection(await write('bad-magic.pcapng', badMagic))).toMatchObject({ code: 'FG_ERR_CAPTURE_FILE_FORMAT' });

    const usb = new PcapngBuilder().sectionHeader().interface(220).build();
    const usbError = await rejection(await write('usb.pcapng', usb));
    expect(usbError).toMatchObject({ code: 'FG_ERR_CAPTURE_LINK_TYPE_UNSUPPORTED' });
    expect((usbError as Error).message).toContain('link type 220');
  });
});

describe('damaged files', () => {
  it('never throw anything but a coded error', async () => {
    const pcap = buildPcap({ littleEndian: true, nanoseconds: false, linkType: 1, records: Array.from({ length: 20 }, (_, i) => ({ seconds: i, fraction: 0, frame: i % 2 ? UDP_FRAME : TCP_FRAME })) });
    const pcapng = new PcapngBuilder().sectionHeader().interface(1).interface(113, { tsresol: 9 });
    for (let i = 0; i < 20; i++) pcapng.enhancedPacket(i % 2, BigInt(i), UDP_FRAME);
    const originals = [pcap, pcapng.build()];
    const random = xorshift32(99);
    const outcomes = { resolved: 0, codedErrors: 0 };
    for (let i = 0; i < 400; i++) {
      const damaged = Buffer.from(originals[i % 2]);
      const flips = 1 + (random() % 6);
      for (let f = 0; f < flips; f++) damaged[random() % damaged.length] = random() & 0xff;
      const cut = random() % 3 === 0 ? damaged.subarray(0, random() % damaged.length) : damaged;
      const path = await write(`damaged-${i % 8}.bin`, cut);
      try {
        const stats = await readCaptureFile(path, () => undefined);
        expect(stats.packetsDecoded + stats.packetsSkipped).toBe(stats.packetsRead);
        outcomes.resolved++;
      } catch (err) {
        expect(isFlowguardError(err), String(err)).toBe(true);
        outcomes.codedErrors++;
      }
    }
    expect(outcomes.resolved).toBeGreaterThan(100);
  });
});

describe('FilePacketSource', () => {
  it('replays a file through the component lifecycle', async () => {
    const path = join(dir, 'source.pcap');
    writeSynFloodPcap(path, { packets: 1_000 });
    let syns = 0;
    let countedDuringRead = -1;
    const source = new FilePacketSource({
      path,
      onPacket: (packet) => {
        if (packet.tcpFlags === 0x02) syns++;
        if (syns === 500) countedDuringRead = source.counts().packetsRead;
      },
    });
    const ended = new Promise((resolve) => source.once('end', resolve));
    await source.start();
    const stats = await source.finished;
    await ended;
    expect(syns).toBe(1_000);
    expect(countedDuringRead).toBe(500);
    expect(source.counts().packetsRead).toBe(1_000);
    expect(stats.protocols).toEqual({ tcp: 1_000 });
    await source.close();
    expect(source.state).toBe('closed');
  });

  it('reports an invalid file through error', async () => {
    const path = await write('invalid.pcap', Buffer.from('nothing useful here'));
    const source = new FilePacketSource({ path, onPacket: () => undefined });
    const failed = new Promise<Error>((resolve) => source.once('error', resolve));
    await source.start();
    expect(await failed).toMatchObject({ code: 'FG_ERR_CAPTURE_FILE_FORMAT' });
    await expect(source.finished).rejects.toMatchObject({ code: 'FG_ERR_CAPTURE_FILE_FORMAT' });
  });
});
