import { ResultReturnType, type DuckDBResult } from '@duckdb/node-api';

/**
 * Whether a streaming result stopped at an error rather than after its last row. DuckDB ends both
 * alike (fetchChunk gives no more rows) and @duckdb/node-api binds no duckdb_result_error: a query
 * failing past its first chunks (a cast at row 150,000) read as one that returned fewer rows. A
 * failed result's return type reads INVALID (duckdb_result_return_type checks for the error).
 */
export function endedInError(result: DuckDBResult): boolean {
  return result.returnType === ResultReturnType.INVALID;
}
