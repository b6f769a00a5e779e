import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ModelError } from '../errors/model.ts';

/**
 * Fills defaults into a copy of `input`, validates it against `schema` and returns it frozen.
 * Every problem is reported in one FG_ERR_MODEL_OPTIONS_INVALID error, so a config with three
 * mistakes needs one round trip, not three.
 */
export function parseOptions<T extends TSchema>(schema: T, input: unknown, what: string): Readonly<Static<T>> {
  const value = Value.Default(schema, structuredClone(input ?? {}));
  const problems = [...Value.Errors(schema, value)].map((error) => `${error.path || '/'}: ${error.message} (got ${JSON.stringify(error.value)})`);
  if (problems.length > 0) {
    throw new ModelError('OPTIONS_INVALID', `invalid ${what}: ${problems.join('; ')}. Fix these keys in the configuration.`, {
      details: { problems },
    });
  }
  return deepFreeze(value) as Readonly<Static<T>>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
