import { Ajv, type ValidateFunction } from 'ajv';
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

/**
 * Bounds every schema gets unless it states its own, so that the database is never the validator:
 * an integer past int4 (`offset=1e20`) is a 400 here, not a 500 from PostgreSQL, and no text is
 * longer than a page. A route that needs more says so in its schema (the audit's afterSeq does).
 */
export const DEFAULT_BOUNDS = { integerMin: -2_147_483_648, integerMax: 2_147_483_647, stringMaxLength: 4096 } as const;

function withDefaultBounds(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withDefaultBounds);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = withDefaultBounds(v);
  if (out.type === 'integer') {
    if (out.maximum === undefined && out.exclusiveMaximum === undefined) out.maximum = DEFAULT_BOUNDS.integerMax;
    if (out.minimum === undefined && out.exclusiveMinimum === undefined) out.minimum = DEFAULT_BOUNDS.integerMin;
  }
  if (out.type === 'string' && out.maxLength === undefined && out.const === undefined && out.enum === undefined) out.maxLength = DEFAULT_BOUNDS.stringMaxLength;
  return out;
}

// C0 controls other than tab, LF and CR: PostgreSQL refuses NUL in text (a 500 before), and the
// others have no business in a name or a note (log and CSV injection).
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// A lone surrogate (half of an emoji) cannot be stored as UTF-8.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const badText = (s: string) => CONTROL.test(s) || LONE_SURROGATE.test(s);

/** The first text (value or key) that no field may hold, as a JSON pointer; undefined if none. */
export function badTextAt(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return badText(value) ? path || '/' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = badTextAt(value[i], `${path}/${i}`);
      if (bad) return bad;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (badText(k)) return `${path}/${k.replace(/[^\x20-\x7e]/g, '?')}`;
      const bad = badTextAt(v, `${path}/${k}`);
      if (bad) return bad;
    }
  }
  return undefined;
}

type Validator = ((data: unknown) => boolean) & { errors?: unknown };

/**
 * Every request part with a schema goes through here: control characters and broken UTF-16 are
 * refused in any field (also ones a future route forgets), then ajv checks the schema with the
 * default bounds added. Failures surface as fastify validation errors: 400 invalid_request.
 */
export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const check: ValidateFunction = (httpPart === 'body' ? strict : lenient).compile(withDefaultBounds(schema) as object);
  const validate: Validator = (data: unknown) => {
    const bad = badTextAt(data);
    if (bad) {
      validate.errors = [{ instancePath: bad, message: 'must not contain control characters or broken Unicode', keyword: 'text', params: {}, schemaPath: '#' }];
      return false;
    }
    const ok = check(data);
    validate.errors = check.errors;
    return ok;
  };
  return validate as ReturnType<FastifySchemaCompiler<object>>;
};

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
