import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import ipaddr from 'ipaddr.js';
import { parseDocument } from 'yaml';
import { configInvalidError, configParseError, configReadError, type ConfigProblem } from '../errors/config.ts';
import { collectProblems } from '../config/validate.ts';
import { GatewayConfigSchema, type GatewayConfig } from './config-schema.ts';
import { parseTarget, TARGET_FORM } from '../api/address.ts';

export { GatewayConfigSchema, DEFAULT_MODEL_PATH, type GatewayConfig } from './config-schema.ts';

/**
 * Installation root (the repository): relative paths in the config resolve against it. Both
 * src/gateway/ and dist/gateway/ sit two levels below it.
 */
export const INSTALL_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Reads, validates and freezes a gateway config. Every problem of the file (unknown keys, wrong
 * types, out-of-range values) is reported in one FG_ERR_CONFIG_INVALID error.
 */
export async function loadConfigFile(file: string): Promise<Readonly<GatewayConfig>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw configReadError(file, err);
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): Readonly<GatewayConfig> {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const first = document.errors[0];
    throw configParseError(file, first.message.split('\n')[0], first);
  }
  const raw: unknown = document.toJS() ?? {};
  return resolveConfig(raw, file);
}

/** Applies defaults to a parsed document, validates it and returns the frozen result. */
export function resolveConfig(raw: unknown, file = '(inline config)'): Readonly<GatewayConfig> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw configInvalidError(file, [{ path: '(root)', message: 'must be a mapping of keys to values' }]);
  }
  const candidate = Value.Default(GatewayConfigSchema, structuredClone(raw)) as GatewayConfig;
  const problems = [...collectProblems(GatewayConfigSchema, candidate), ...addressProblems(candidate)];
  if (problems.length > 0) throw configInvalidError(file, problems);
  return deepFreeze(candidate);
}

/** Resolves a path from the config: absolute as given, relative against the install root. */
export function resolveInstallPath(path: string): string {
  return isAbsolute(path) ? path : resolve(INSTALL_ROOT, path);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Addresses the schema can only check as strings, checked even when other keys are wrong so one
 * run lists every problem. Entries take the API's forms: dotted quads, CIDRs with their host
 * bits zero, and no prefix so short that it would turn blocking off for most of the Internet.
 */
function addressProblems(config: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const lists: Array<[string, unknown]> = [
    ['allowlist', config.allowlist],
    ['policy.ownAddresses', (config.policy as Partial<GatewayConfig['policy']> | undefined)?.ownAddresses],
  ];
  for (const [path, entries] of lists) {
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, index) => {
      if (typeof entry !== 'string') return;
      try {
        parseTarget(`${path}[${index}]`, entry);
      } catch {
        problems.push({ path: `${path}[${index}]`, message: `must be ${TARGET_FORM} (got '${entry}')` });
      }
    });
  }
  const listenAddress = (config.api as { listenAddress?: unknown } | undefined)?.listenAddress;
  if (typeof listenAddress === 'string' && !ipaddr.isValid(listenAddress)) {
    problems.push({ path: 'api.listenAddress', message: `must be an IP address such as 127.0.0.1 or ::1, not a host name (got '${listenAddress}')` });
  }
  return problems;
}
