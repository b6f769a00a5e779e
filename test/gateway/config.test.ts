import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { isFlowguardError } from '../../src/errors/index.ts';
import { loadConfigFile, parseConfigText, resolveConfig } from '../../src/gateway/config.ts';
import { detectionDelayWarnings, flowSettingsDifferences } from '../../src/gateway/deployment-check.ts';
import { resolveFlowMeterOptions } from '../../src/flows/options.ts';
import { REPO_ROOT } from '../helpers/shared-data.ts';

const EXAMPLE = join(REPO_ROOT, 'config', 'flowguard.example.yaml');

function problemsOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (err) {
    if (isFlowguardError(err, 'FG_ERR_CONFIG_INVALID')) return err.details.problems as Array<{ path: string; message: string }>;
    throw err;
  }
  throw new Error('expected FG_ERR_CONFIG_INVALID');
}

describe('gateway config', () => {
  it('accepts the commented example file', async () => {
    const config = await loadConfigFile(EXAMPLE);
    expect(config.mode).toBe('router');
    expect(config.allowlist).toEqual(['192.0.2.0/24']);
    expect(Object.isFrozen(config.policy)).toBe(true);
  });

  it('fills defaults for an empty document', () => {
    const config = resolveConfig({});
    expect(config.flows.mode).toBe('corrected');
    expect(config.api.listenAddress).toBe('127.0.0.1');
    expect(config.enforcement.tableName).toBe('flowguard');
    expect(config.scorer.modelPath).toBe('models/flowguard-default.onnx');
  });

  it('reports every problem together with its key path', () => {
    const problems = problemsOf(() =>
      resolveConfig({
        mode: 'switch',
        polcy: {},
        policy: { attackRatio: 1.5, minFlows: 'ten' },
        capture: { interfaces: [] },
        api: { port: 70000 },
      }),
    );
    const byPath = Object.fromEntries(problems.map((problem) => [problem.path, problem.message]));
    expect(byPath.mode).toMatch(/one of 'router', 'bridge'.*'switch'/);
    expect(byPath.polcy).toMatch(/unknown key; allowed keys here: mode, capture, flows/);
    expect(byPath['policy.attackRatio']).toMatch(/at most 1 \(got 1.5\)/);
    expect(byPath['policy.minFlows']).toMatch(/whole number.*'ten'/);
    expect(byPath['capture.interfaces']).toMatch(/at least 1 entries/);
    expect(byPath['api.port']).toMatch(/at most 65535 \(got 70000\)/);
  });

  it('names an unknown nested key', () => {
    const problems = problemsOf(() => resolveConfig({ enforcement: { tablename: 'x' } }));
    expect(problems).toEqual([{ path: 'enforcement.tablename', message: expect.stringMatching(/^unknown key; allowed keys here: tableName/) }]);
  });

  it('rejects YAML syntax errors and duplicate keys with the file name', () => {
    expect(() => parseConfigText('mode: [router', 'bad.yaml')).toThrow(/config file 'bad.yaml' is not valid YAML/);
    expect(() => parseConfigText('mode: router\nmode: bridge\n', 'dup.yaml')).toThrow(/not valid YAML/);
  });

  it('reports an unreadable file with the path', async () => {
    await expect(loadConfigFile('/nonexistent/flowguard.yaml')).rejects.toThrow(/cannot read config file '\/nonexistent\/flowguard.yaml' \(ENOENT\)/);
  });

  it('check-config exits 2 and lists the problems', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fg-config-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'dryRun: maybe\nflows:\n  mode: fixed\n');
    const result = await execa('node', [join(REPO_ROOT, 'bin', 'flowguard.js'), 'check-config', file], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('has 2 problems');
    expect(result.stderr).toContain('dryRun: must be true or false');
    expect(result.stderr).toContain("flows.mode: must be one of 'cic2017', 'corrected' (got 'fixed')");
    const good = await execa('node', [join(REPO_ROOT, 'bin', 'flowguard.js'), 'check-config', '--no-host-checks', EXAMPLE], { reject: false });
    expect(good.exitCode).toBe(0);
  });

  it('rejects invalid addresses with their key paths', () => {
    const problems = problemsOf(() => resolveConfig({ allowlist: ['10.0.0.0/8', '300.1.1.1', '10.0.0.0/33'], policy: { ownAddresses: ['bogus'] } }));
    expect(problems.map((problem) => problem.path)).toEqual(['allowlist[1]', 'allowlist[2]', 'policy.ownAddresses[0]']);
    expect(problems[0].message).toContain("(got '300.1.1.1')");
  });

  it('holds addresses to the API forms and reports them with schema problems', () => {
    const problems = problemsOf(() =>
      resolveConfig({ dryRun: 'maybe', allowlist: ['10.1', '192.168.1.5/24', '0.0.0.0/0', '::/0'], api: { listenAddress: 'localhost' } }),
    );
    expect(problems.map((problem) => problem.path)).toEqual(['dryRun', 'allowlist[0]', 'allowlist[1]', 'allowlist[2]', 'allowlist[3]', 'api.listenAddress']);
    expect(problems[1].message).toContain('at least /8 for IPv4');
    expect(problems[5].message).toContain("not a host name (got 'localhost')");
  });

  it('check-config checks the model and interfaces of this host', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fg-config-'));
    const file = join(dir, 'host.yaml');
    await writeFile(file, 'capture:\n  interfaces: [fgnosuchif0]\nscorer:\n  modelPath: /nonexistent/model.onnx\n');
    const result = await execa('node', [join(REPO_ROOT, 'bin', 'flowguard.js'), 'check-config', file], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("scorer.modelPath: model file '/nonexistent/model.onnx' not found");
    expect(result.stderr).toContain("capture.interfaces[0]: interface 'fgnosuchif0' does not exist");
    const skipped = await execa('node', [join(REPO_ROOT, 'bin', 'flowguard.js'), 'check-config', '--no-host-checks', file], { reject: false });
    expect(skipped.exitCode).toBe(0);
  });
});

describe('systemd unit', () => {
  it('passes systemd-analyze verify', async (context) => {
    const which = await execa('which', ['systemd-analyze'], { reject: false });
    if (which.exitCode !== 0) context.skip('systemd-analyze is not installed');
    const unit = await readFile(join(REPO_ROOT, 'systemd', 'flowguard.service'), 'utf8');
    expect(unit).toMatch(/^CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN$/m);
    expect(unit).toMatch(/^ExecStartPre=.* check-config /m);
    // The unit names the installed path; point it at this checkout so verify finds the binary.
    const dir = await mkdtemp(join(tmpdir(), 'fg-unit-'));
    const copy = join(dir, 'flowguard.service');
    await writeFile(copy, unit.replaceAll('/usr/local/bin/flowguard', join(REPO_ROOT, 'bin', 'flowguard.js')));
    const result = await execa('systemd-analyze', ['verify', copy], { reject: false });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });
});

describe('flow settings against the model card', () => {
  const card = (flowMeter: unknown) => ({ flowMeter }) as unknown as Parameters<typeof flowSettingsDifferences>[0];

  it('names each flow key that differs from training', () => {
    const trained = resolveFlowMeterOptions({});
    const config = resolveConfig({ flows: { tcpLingerMs: 1000, idleTimeoutMs: { udp: 5000 } } });
    expect(flowSettingsDifferences(card(trained), config)).toEqual(['idleTimeoutMs', 'tcpLingerMs']);
    expect(flowSettingsDifferences(card(trained), resolveConfig({}))).toEqual([]);
  });

  it('accepts a card without flow settings', () => {
    expect(flowSettingsDifferences(card(undefined), resolveConfig({ flows: { tcpLingerMs: 1000 } }))).toEqual([]);
  });
});

describe('flow settings that delay detection', () => {
  it('warns about CICFlowMeter\'s timeouts', () => {
    const warnings = detectionDelayWarnings(resolveConfig({}));
    expect(warnings.map((warning) => warning.path)).toEqual(['flows.idleTimeoutMs.udp', 'flows.idleTimeoutMs.icmp', 'flows.idleTimeoutMs.tcpOnePacket', 'flows.activeTimeoutMs']);
    expect(warnings[0].message).toBe("is 120000 ms: a UDP flood's one-packet flows are scored only after that much silence each. Set 1000, as the example config does, to score them within about 1 s");
  });

  it('accepts the example config', async () => {
    expect(detectionDelayWarnings(await loadConfigFile(EXAMPLE))).toEqual([]);
  });

  it('prints the warnings from check-config without host checks', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'fg-config-'));
    const file = join(folder, 'slow.yaml');
    await writeFile(file, 'flows:\n  idleTimeoutMs:\n    udp: 60000\n  activeTimeoutMs: 2000\n');
    const result = await execa('node', [join(REPO_ROOT, 'bin', 'flowguard.js'), 'check-config', file, '--no-host-checks'], { reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('warning: flows.idleTimeoutMs.udp: is 60000 ms');
    expect(result.stderr).not.toContain('flows.activeTimeoutMs');
  });
});
