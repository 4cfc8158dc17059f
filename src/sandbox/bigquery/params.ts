/**
 * GoogleSQL query parameters (`@name` / `?`, REST `queryParameters`) rendered as typed DuckDB
 * literals. The translator substitutes them into the SQL, so DuckDB never sees BigQuery's
 * parameter syntax and types follow the declared `parameterType`, as in BigQuery.
 */

import { z } from 'zod';
import { invalid } from './errors';

/** Parameter type as sent in `queryParameters[].parameterType` (QueryParameterType). */
export interface ParameterType {
  type: string;
  arrayType?: ParameterType | undefined;
  structTypes?: Array<{ name?: string | undefined; type: ParameterType }> | undefined;
}

/** Parameter value (QueryParameterValue); scalars arrive as strings, or JSON scalars from some clients. */
export interface ParameterValue {
  value?: unknown;
  arrayValues?: ParameterValue[] | undefined;
  structValues?: Record<string, ParameterValue> | undefined;
}

export const parameterTypeSchema: z.ZodType<ParameterType> = z.lazy(() =>
  z.looseObject({
    type: z.string(),
    arrayType: parameterTypeSchema.optional(),
    structTypes: z.array(z.looseObject({ name: z.string().optional(), type: parameterTypeSchema })).optional(),
  }),
);

export const parameterValueSchema: z.ZodType<ParameterValue> = z.lazy(() =>
  z.looseObject({
    value: z.unknown().optional(),
    arrayValues: z.array(parameterValueSchema).optional(),
    structValues: z.record(z.string(), parameterValueSchema).optional(),
  }),
);

export const queryParameterSchema = z.looseObject({
  name: z.string().optional(),
  parameterType: parameterTypeSchema,
  parameterValue: parameterValueSchema.optional(),
});

export type QueryParameter = z.infer<typeof queryParameterSchema>;

/** Parameters ready for substitution: DuckDB SQL expressions by name (lower-cased) and by position. */
export interface BoundParameters {
  named: Map<string, string>;
  positional: string[];
}

/** DuckDB spelling of a GoogleSQL parameter type. */
export function duckdbTypeOf(type: ParameterType): string {
  switch (type.type.toUpperCase()) {
    case 'INT64':
    case 'INTEGER':
      return 'BIGINT';
    case 'FLOAT64':
    case 'FLOAT':
      return 'DOUBLE';
    case 'NUMERIC':
      return 'DECIMAL(38,9)';
    case 'BIGNUMERIC':
      // DuckDB stops at 38 digits; scale 10 keeps it reported as BIGNUMERIC (see wire.ts).
      return 'DECIMAL(38,10)';
    case 'BOOL':
    case 'BOOLEAN':
      return 'BOOLEAN';
    case 'STRING':
      return 'VARCHAR';
    case 'BYTES':
      return 'BLOB';
    case 'DATE':
      return 'DATE';
    case 'DATETIME':
      return 'TIMESTAMP';
    case 'TIME':
      return 'TIME';
    case 'TIMESTAMP':
      return 'TIMESTAMPTZ';
    case 'JSON':
      return 'JSON';
    case 'INTERVAL':
      return 'INTERVAL';
    case 'ARRAY':
      if (type.arrayType === undefined) throw invalid('Query parameter of type ARRAY is missing arrayType');
      return `${duckdbTypeOf(type.arrayType)}[]`;
    case 'STRUCT': {
      const fields = (type.structTypes ?? []).map((f, i) => `${quoteIdent(f.name ?? `_field_${i + 1}`)} ${duckdbTypeOf(f.type)}`);
      return `STRUCT(${fields.join(', ')})`;
    }
    default:
      throw invalid(`Unsupported query parameter type: ${type.type}`);
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function scalarText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** A DuckDB expression for one parameter value of `type` (NULL keeps its type). */
export function parameterLiteral(type: ParameterType, value: ParameterValue | undefined): string {
  const duckType = duckdbTypeOf(type);
  const kind = type.type.toUpperCase();
  if (kind === 'ARRAY') {
    const items = value?.arrayValues;
    // An absent arrayValues is an empty array: BigQuery has no NULL arrays.
    const element = type.arrayType ?? { type: 'STRING' };
    return `CAST([${(items ?? []).map((item) => parameterLiteral(element, item)).join(', ')}] AS ${duckType})`;
  }
  if (kind === 'STRUCT') {
    const values = value?.structValues;
    if (values === undefined) return `CAST(NULL AS ${duckType})`;
    const entries = (type.structTypes ?? []).map((f, i) => {
      const name = f.name ?? `_field_${i + 1}`;
      return `${quoteString(name)}: ${parameterLiteral(f.type, values[name])}`;
    });
    return `CAST({${entries.join(', ')}} AS ${duckType})`;
  }
  const text = scalarText(value?.value);
  if (text === null) return `CAST(NULL AS ${duckType})`;
  if (kind === 'BYTES') return `from_base64(${quoteString(text)})`;
  return `CAST(${quoteString(text)} AS ${duckType})`;
}

/** Binds REST `queryParameters` for the translator; `parameterMode` decides named vs positional. */
export function bindParameters(parameters: QueryParameter[] | undefined, mode: string | undefined): BoundParameters {
  const bound: BoundParameters = { named: new Map(), positional: [] };
  for (const parameter of parameters ?? []) {
    const literal = parameterLiteral(parameter.parameterType, parameter.parameterValue);
    const positional = (mode ?? '').toUpperCase() === 'POSITIONAL' || parameter.name === undefined || parameter.name === '';
    if (positional) bound.positional.push(literal);
    else bound.named.set(parameter.name?.toLowerCase() ?? '', literal);
  }
  return bound;
}
