/**
 * End-to-end acceptance run of the gateway in the lab. Run as root from the repository root:
 *
 *   node --import tsx lab/e2e/run.ts [--duration S] [--flows fast|fast-tcp|dataset] [--model FILE]
 *     [--scenarios a,b] [--restart-scenario NAME] [--mode router|bridge] [--out report.json] [--no-build]
 *
 * With --out, the gateway's JSON log is kept beside the report (`NAME.gateway.log`).
 * Environment fallbacks: FLOWGUARD_E2E_MODEL, FLOWGUARD_E2E_DURATION_S, FLOWGUARD_E2E_FLOWS.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { buildGateway, e2eModelPath, e2eSkipReason } from './session.ts';
import { formatReport, runSuite } from './suite.ts';
import { e2eSettings } from './settings.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    flows: { type: 'string' },
    model: { type: 'string' },
    scenarios: { type: 'string' },
    'restart-scenario': { type: 'string' },
    out: { type: 'string' },
    mode: { type: 'string' },
    'no-build': { type: 'boolean' },
  },
});
const env = { ...process.env };
if (values.model) env.FLOWGUARD_E2E_MODEL = values.model;
if (values.duration) env.FLOWGUARD_E2E_DURATION_S = values.duration;
if (values.flows) env.FLOWGUARD_E2E_FLOWS = values.flows;
if (values.scenarios) env.FLOWGUARD_E2E_SCENARIOS = values.scenarios;
if (values['restart-scenario']) env.FLOWGUARD_E2E_RESTART_SCENARIO = values['restart-scenario'];
const modelPath = e2eModelPath(env);
const skip = e2eSkipReason(modelPath);
if (skip) {
  process.stderr.write(`e2e: cannot run: ${skip}\n`);
  process.exit(2);
}
const settings = e2eSettings(env, 60);
if (values.mode !== undefined && values.mode !== 'router' && values.mode !== 'bridge') {
  process.stderr.write(`e2e: --mode '${values.mode}' is invalid; use router or bridge\n`);
  process.exit(2);
}
if (!values['no-build']) await buildGateway();
const keepLog = values.out ? { keepLogAs: `${values.out.replace(/\.json$/, '')}.gateway.log` } : {};
const report = await runSuite({ ...settings, ...keepLog, ...(values.mode ? { mode: values.mode } : {}), modelPath, log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(`${formatReport(report)}\n`);
if (values.out) await writeFile(values.out, JSON.stringify(report, null, 2));
