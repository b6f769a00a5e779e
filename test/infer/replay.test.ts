import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { replayCapture } from '../../src/infer/replay.ts';
import { REPO_ROOT, hasSharedData, reportMissingSharedData, sharedPath } from '../helpers/shared-data.ts';
import { makeFixtureModel, type FixtureModel } from './model-fixture.ts';

reportMissingSharedData('replay with the fixture model');

// The fixture model labels UDP flows attack and TCP flows benign, whatever else they hold.
describe.skipIf(!hasSharedData)('replay with the fixture model', () => {
  let model: FixtureModel;
  const udpFlood = sharedPath('pcaps', 'attacks', 'doup123_udp_flood.pcap');

  beforeAll(() => {
    model = makeFixtureModel();
  });
  afterAll(() => model?.remove());

  it('decides block for a UDP flood source within its first flows', async () => {
    const result = await replayCapture(udpFlood, { scorer: { modelPath: model.modelPath } });
    expect(result).toMatchObject({ formatVersion: 1, modelVersion: 'fixture-1', flowMeterMode: 'corrected' });
    const attacker = result.sources.find((s) => s.address === '172.16.2.1')!;
    expect(attacker).toMatchObject({ flows: 10_000, scoredFlows: 10_000, attackFlows: 10_000, attackRatio: 1, decision: 'block', reason: 'dry-run', rule: 'flow-ratio', decisions: 1 });
    // Ten one-packet flows are enough; the flood sends 10,000 packets in 0.21 s.
    expect(attacker.decisionAfterMs).toBeGreaterThanOrEqual(0);
    expect(attacker.decisionAfterMs).toBeLessThan(10);
    expect(attacker.evidence).toMatchObject({ flowsSeen: 10, attackFlows: 10, modelVersion: 'fixture-1' });
    expect(result.totals).toMatchObject({ packets: 10_000, flows: 10_000, verdicts: 10_000, blockedSources: 1, droppedWindows: 0, nonFiniteWindows: 0 });
  });

  it('reports a cut capture as a warning', async () => {
    const cut = join(model.dir, 'cut.pcap');
    writeFileSync(cut, readFileSync(udpFlood).subarray(0, 100_000));
    const result = await replayCapture(cut, { scorer: { modelPath: model.modelPath } });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/ends inside a record/);
    expect(result.totals.packets).toBeGreaterThan(0);
  });

  it('leaves a TCP-only capture undecided', async () => {
    const result = await replayCapture(sharedPath('pcaps', 'attacks', 'savio_hulk.pcap'), { scorer: { modelPath: model.modelPath } });
    expect(result.totals.blockedSources).toBe(0);
    expect(result.sources.every((s) => s.decision === 'none' && s.decisionAfterMs === null)).toBe(true);
  });

  it('prints the documented JSON and honours the policy config', async () => {
    const config = join(model.dir, 'gateway.yaml');
    writeFileSync(config, `scorer:\n  modelPath: ${model.modelPath}\nallowlist: [172.16.2.0/24]\nflows:\n  maxFlows: 20000\n`);
    const script = "import { main } from './src/cli.ts'; process.exitCode = await main(process.argv.slice(1));";
    const { stdout, exitCode } = await execa('node', ['--import', 'tsx', '--input-type=module', '-e', script, 'replay', udpFlood, '--config', config, '--json'], {
      cwd: REPO_ROOT,
      reject: false,
    });
    expect(exitCode).toBe(0);
    const document = JSON.parse(stdout);
    expect(Object.keys(document).sort()).toEqual(['events', 'file', 'flowMeterMode', 'formatVersion', 'modelVersion', 'sources', 'totals', 'warnings']);
    expect(Object.keys(document.sources[0]).sort()).toEqual(
      ['address', 'attackFlows', 'attackRatio', 'decision', 'decisionAfterMs', 'decisions', 'durationMs', 'evidence', 'flows', 'reason', 'rule', 'scoredFlows'].sort(),
    );
    expect(document.sources[0]).toMatchObject({ address: '172.16.2.1', decision: 'refused', reason: 'allowlist' });
  });

  it('rejects a config the gateway would reject', async () => {
    const config = join(model.dir, 'bad.yaml');
    writeFileSync(config, `scorer:\n  modelPath: ${model.modelPath}\nother-area:\n  ignored: true\n`);
    const script = "import { main } from './src/cli.ts'; process.exitCode = await main(process.argv.slice(1));";
    const { stderr, exitCode } = await execa('node', ['--import', 'tsx', '--input-type=module', '-e', script, 'replay', udpFlood, '--config', config], { cwd: REPO_ROOT, reject: false });
    expect(exitCode).toBe(2);
    expect(stderr).toContain('FG_ERR_CONFIG_INVALID');
    expect(stderr).toContain('other-area: unknown key');
  });

  it('rejects a missing model file', async () => {
    const script = "import { main } from './src/cli.ts'; process.exitCode = await main(process.argv.slice(1));";
    const { stderr, exitCode } = await execa('node', ['--import', 'tsx', '--input-type=module', '-e', script, 'replay', udpFlood, '--model', '/nonexistent/model.onnx'], {
      cwd: REPO_ROOT,
      reject: false,
    });
    expect(exitCode).not.toBe(0);
    expect(stderr).toContain('/nonexistent/model.onnx');
  });
});

// This fixture judges every flow attack (every protocol number is at least 1).
describe.skipIf(!hasSharedData)('replay with a model that judges everything attack', () => {
  let model: FixtureModel;

  beforeAll(() => {
    model = makeFixtureModel({ attackProtocol: 1, version: 'all-attack' });
  });
  afterAll(() => model?.remove());

  it('blocks a one-flow ICMP flood on its packets', async () => {
    const result = await replayCapture(sharedPath('pcaps', 'attacks', 'doup123_icmp_blacknurse.pcap'), { scorer: { modelPath: model.modelPath } });
    const attacker = result.sources.find((s) => s.address === '172.16.2.1')!;
    expect(attacker.flows).toBeLessThan(10);
    expect(attacker).toMatchObject({ decision: 'block', rule: 'packet-volume' });
    expect(attacker.evidence!.attackPackets).toBeGreaterThanOrEqual(1000);
  });

  it('reports a spoofed SYN flood instead of blocking its sources', async () => {
    const result = await replayCapture(sharedPath('pcaps', 'attacks', 'stopddos_pkt.TCP.synflood.spoofed.pcap'), { scorer: { modelPath: model.modelPath } });
    const floods = result.events.filter((e) => e.type === 'spoofed-flood');
    expect(floods.length).toBeGreaterThanOrEqual(1);
    expect(floods[0]).toMatchObject({ topDestinations: [expect.objectContaining({ address: '10.10.10.10' })] });
    expect(result.totals.sources).toBeGreaterThan(30_000);
    expect(result.totals.blockedSources).toBeLessThan(10);
  });
});
