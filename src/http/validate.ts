// ajv validators for request bodies and query strings, and the mapping of ajv's first error to the API's
// error body (`param` is the dotted path of the offending field).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ApiError } from './errors.js';

const bodyAjv = new Ajv({ allErrors: false, useDefaults: true, strict: true, strictTypes: false, strictRequired: false });
// Query strings are text: numbers arrive as "20"; coercion turns them into the schema's integers.
const queryAjv = new Ajv({ allErrors: false, useDefaults: true, coerceTypes: true, strict: true, strictTypes: false, strictRequired: false });

export type Validator = (value: unknown) => void;

function toParam(e: ErrorObject): string | null {
  const path = e.instancePath.split('/').filter(Boolean);
  if (e.keyword === 'required') path.push(String((e.params as { missingProperty: string }).missingProperty));
  if (e.keyword === 'additionalProperties') path.push(String((e.params as { additionalProperty: string }).additionalProperty));
  return path.length ? path.join('.') : null;
}

function toMessage(e: ErrorObject, param: string | null): string {
  if (e.keyword === 'additionalProperties') return `Unknown parameter: ${param}`;
  if (e.keyword === 'required') return `Missing required parameter: ${param}`;
  if (e.keyword === 'oneOf') return 'Provide exactly one of `card` or `token`';
  return `Invalid ${param ?? 'request'}: ${e.message ?? 'not valid'}`;
}

function wrap(v: ValidateFunction, code: string): Validator {
  return (value) => {
    if (v(value)) return;
    // A failed oneOf reports its branches' errors first; the oneOf itself says what is wrong.
    const e = v.errors?.find((x) => x.keyword === 'oneOf') ?? v.errors?.[0];
    if (!e) throw new ApiError(400, 'invalid_request_error', code, 'Invalid request');
    const param = toParam(e);
    const kind = e.keyword === 'required' ? 'parameter_missing' : e.keyword === 'additionalProperties' ? 'parameter_unknown' : code;
    throw new ApiError(400, 'invalid_request_error', kind, toMessage(e, param), param);
  };
}

export function bodyValidator(schema: object): Validator {
  return wrap(bodyAjv.compile(schema), 'parameter_invalid');
}

export function queryValidator(schema: object): Validator {
  return wrap(queryAjv.compile(schema), 'parameter_invalid');
}

/** Compiles a response schema for tests and debug checks (no defaults, no coercion). */
export function responseValidator(schema: object): ValidateFunction {
  return new Ajv({ strict: false }).compile(schema);
}
