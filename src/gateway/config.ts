import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import ipaddr from 'ipaddr.js';
import { parseDocument } from 'yaml';
import { configInvalidError, configParseError, configReadError, type ConfigProblem } from '../errors/config.ts';
import { collectProblems } from '../config/validate.ts';
import { GatewayConfigSchema, type GatewayConfig } from './config-schema.ts';

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
  const problems = collectProblems(GatewayConfigSchema, candidate);
  if (problems.length === 0) problems.push(...addressProblems(candidate));
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

/** Address lists the schema can only check as strings: each entry must be an address or CIDR. */
function addressProblems(config: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const lists: Array<[string, readonly string[]]> = [
    ['allowlist', config.allowlist],
    ['policy.ownAddresses', config.policy.ownAddresses],
  ];
  for (const [path, entries] of lists) {
    entries.forEach((entry, index) => {
      if (!isAddressOrCidr(entry)) {
        problems.push({ path: `${path}[${index}]`, message: `must be an IPv4 or IPv6 address or CIDR such as 192.0.2.0/24 or 2001:db8::/32 (got '${entry}')` });
      }
    });
  }
  return problems;
}

function isAddressOrCidr(text: string): boolean {
  try {
    if (text.includes('/')) ipaddr.parseCIDR(text);
    else ipaddr.parse(text);
    return ipaddr.isValid(text.split('/')[0]);
  } catch {
    return false;
  }
}
