import { FlowguardError, type ErrorCatalogueEntry } from './index.ts';

export const CONFIG_ERRORS = {
  FG_ERR_CONFIG_READ: { code: 'FG_ERR_CONFIG_READ', statusCode: 400, summary: 'The config file could not be read.' },
  FG_ERR_CONFIG_PARSE: { code: 'FG_ERR_CONFIG_PARSE', statusCode: 400, summary: 'The config file is not valid YAML.' },
  FG_ERR_CONFIG_INVALID: {
    code: 'FG_ERR_CONFIG_INVALID',
    statusCode: 400,
    summary: 'The config breaks the schema: unknown keys, wrong types or out-of-range values, all listed.',
  },
} as const satisfies Record<string, ErrorCatalogueEntry>;

export interface ConfigProblem {
  /** Dotted key path, `policy.attackRatio`; `(root)` for the document itself. */
  path: string;
  message: string;
}

export function configReadError(file: string, cause: unknown): FlowguardError {
  const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
  return new FlowguardError(
    'FG_ERR_CONFIG_READ',
    `cannot read config file '${file}' (${reason}); check the config file's path and its permissions`,
    { statusCode: 400, details: { file }, cause },
  );
}

export function configParseError(file: string, message: string, cause: unknown): FlowguardError {
  return new FlowguardError('FG_ERR_CONFIG_PARSE', `config file '${file}' is not valid YAML: ${message}`, {
    statusCode: 400,
    details: { file },
    cause,
  });
}

export function configInvalidError(file: string, problems: ConfigProblem[]): FlowguardError {
  const lines = problems.map((problem) => `  - ${problem.path}: ${problem.message}`);
  return new FlowguardError(
    'FG_ERR_CONFIG_INVALID',
    `config file '${file}' has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
    { statusCode: 400, details: { file, problems } },
  );
}
