import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats = (addFormatsModule as unknown as { default: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

function ajv(coerceTypes: boolean | 'array') {
  const instance = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats(instance);
  return instance;
}

// Query strings and path params arrive as text, so they are coerced; a JSON body is taken
// as typed: `"name": 123` is an error, not a name.
const lenient = ajv('array');
const strict = ajv(false);

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : lenient).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;

/**
 * One validation failure in words a client developer can act on: which field, and for a closed
 * list the allowed values ("body.category must be one of: pregnant, lactating, ..."). Names the
 * field and the rule, never the value sent (it could be a mobile number or an OTP).
 */
export function describeValidationError(errors: FastifySchemaValidationError[], context = 'request'): string {
  const e = errors[0];
  if (!e) return `${context} is invalid`;
  const path = e.instancePath.split('/').filter(Boolean).join('.');
  const where = path ? `${context}.${path}` : context;
  const params = e.params as { allowedValues?: unknown[]; allowedValue?: unknown; additionalProperty?: string };
  switch (e.keyword) {
    case 'enum':
      return `${where} must be one of: ${(params.allowedValues ?? []).join(', ')}`;
    case 'const':
      return `${where} must be ${String(params.allowedValue)}`;
    case 'additionalProperties':
      return `${where} has a field that is not allowed: ${params.additionalProperty}`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}
