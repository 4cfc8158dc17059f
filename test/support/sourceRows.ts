import type { Source, SourceRow } from '../../src/sources/source';

/** Every row `sql` returns from `source`, page by page, and the source closed. */
export async function readAllRows(source: Source, sql: string): Promise<SourceRow[]> {
  const rows: SourceRow[] = [];
  try {
    for await (const page of source.stream(sql)) rows.push(...page);
  } finally {
    await source.close();
  }
  return rows;
}
