import { Kind, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import type { ConfigProblem } from '../errors/config.ts';

/**
 * Checks `value` against `schema` and returns every problem at once, each with its dotted key
 * path and the allowed form, so an operator fixes a config in one pass.
 */
export function collectProblems(schema: TSchema, value: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    const problem = describeError(error);
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function describeError(error: ValueError): ConfigProblem {
  const path = toDottedPath(error.path);
  const got = formatValue(error.value);
  const schema = error.schema as TSchema & Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const parentPath = error.path.split('/').slice(0, -1).join('/');
      const allowed = allowedKeys(error.schema, parentPath);
      return { path, message: `unknown key${allowed ? `; allowed keys here: ${allowed}` : ''}` };
    }
    case ValueErrorType.ObjectRequiredProperty:
      return { path, message: 'is required' };
    case ValueErrorType.Union: {
      const literals = literalChoices(schema);
      if (literals) return { path, message: `must be one of ${literals} (got ${got})` };
      return { path, message: `has an invalid form (got ${got}): ${error.message}` };
    }
    case ValueErrorType.Literal:
      return { path, message: `must be ${formatValue(schema.const)} (got ${got})` };
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return { path, message: `must be ${rangeText(schema)} (got ${got})` };
    case ValueErrorType.Integer:
      return { path, message: `must be a whole number${rangeSuffix(schema)} (got ${got})` };
    case ValueErrorType.Number:
      return { path, message: `must be a number${rangeSuffix(schema)} (got ${got})` };
    case ValueErrorType.String:
      return { path, message: `must be a string (got ${got})` };
    case ValueErrorType.Boolean:
      return { path, message: `must be true or false (got ${got})` };
    case ValueErrorType.Array:
      return { path, message: `must be a list (got ${got})` };
    case ValueErrorType.Object:
      return { path, message: `must be a mapping of keys to values (got ${got})` };
    case ValueErrorType.StringPattern:
    case ValueErrorType.StringFormat:
      return { path, message: `${typeof schema.description === 'string' ? `must be ${schema.description}` : `must match ${String(schema.pattern ?? schema.format)}`} (got ${got})` };
    case ValueErrorType.StringMinLength:
      return { path, message: `must have at least ${String(schema.minLength)} characters (got ${got})` };
    case ValueErrorType.ArrayMinItems:
      return { path, message: `must have at least ${String(schema.minItems)} entries` };
    case ValueErrorType.ArrayMaxItems:
      return { path, message: `must have at most ${String(schema.maxItems)} entries` };
    default:
      return { path, message: `${error.message} (got ${got})` };
  }
}

function toDottedPath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '(root)';
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join('');
}

function allowedKeys(schema: TSchema, _parentPath: string): string | undefined {
  const properties = (schema as { properties?: Record<string, unknown> }).properties;
  return properties ? Object.keys(properties).join(', ') : undefined;
}

function literalChoices(schema: Record<string, unknown>): string | undefined {
  const anyOf = schema.anyOf as Array<Record<PropertyKey, unknown>> | undefined;
  if (!anyOf || !anyOf.every((member) => member[Kind] === 'Literal')) return undefined;
  return anyOf.map((member) => formatValue(member.const)).join(', ');
}

function rangeText(schema: Record<string, unknown>): string {
  const low = schema.minimum ?? schema.exclusiveMinimum;
  const high = schema.maximum ?? schema.exclusiveMaximum;
  const lowText = low === undefined ? undefined : `${schema.exclusiveMinimum !== undefined ? 'greater than' : 'at least'} ${String(low)}`;
  const highText = high === undefined ? undefined : `${schema.exclusiveMaximum !== undefined ? 'less than' : 'at most'} ${String(high)}`;
  return [lowText, highText].filter(Boolean).join(' and ');
}

function rangeSuffix(schema: Record<string, unknown>): string {
  const range = rangeText(schema);
  return range ? ` ${range}` : '';
}

function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
