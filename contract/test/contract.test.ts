import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import * as contract from '../src/index.ts';

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats = (addFormatsModule as unknown as { default: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

const schemas = Object.entries(contract).filter(([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v) && ('type' in v || 'anyOf' in v || 'enum' in v));
const enums = Object.entries(contract).filter(([k, v]) => Array.isArray(v) && /^[A-Z_]+$/.test(k)) as Array<[string, readonly string[]]>;

test('every schema in the contract compiles under strict Ajv (no unknown keywords, no typos)', () => {
  const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv);
  assert.ok(schemas.length > 30, `found ${schemas.length} schemas`);
  for (const [name, schema] of schemas) assert.doesNotThrow(() => ajv.compile(schema as object), name);
});

test('every enumeration is a non-empty list of distinct snake_case words', () => {
  assert.ok(enums.length >= 15, `found ${enums.length} enumerations`);
  for (const [name, values] of enums) {
    assert.ok(values.length > 0, name);
    assert.equal(new Set(values).size, values.length, `${name} has a duplicate`);
    for (const v of values) assert.match(v, /^[a-zA-Z][a-zA-Z0-9_]*$/, `${name}: ${v}`);
  }
});

test('closed lists are JSON Schema enums, so errors and OpenAPI can name the allowed values', () => {
  assert.deepEqual(contract.NewBeneficiaryBody.properties.category, { type: 'string', enum: [...contract.CATEGORIES] });
  assert.deepEqual(contract.OpenFallbackCaseBody.properties.reason.enum, [...contract.FALLBACK_REASONS]);
  assert.deepEqual(contract.FALLBACK_REASONS, [...contract.FACE_FAILURE_REASONS, ...contract.DECLARED_REASONS]);
  assert.ok(contract.CHILD_CATEGORIES.every((c) => contract.CATEGORIES.includes(c)));
});

test('response schemas are closed: a field not listed cannot leave', () => {
  for (const name of ['Beneficiary', 'BeneficiaryDetail', 'Consent', 'FallbackCase', 'OtpSent', 'Verification', 'ReviewQueueItem', 'ReviewCaseDetail', 'ErrorBody'] as const) {
    assert.equal((contract[name] as { additionalProperties?: boolean }).additionalProperties, false, name);
  }
  assert.ok(!('mobile' in contract.Beneficiary.properties), 'a beneficiary leaves with her mobile masked only');
});
