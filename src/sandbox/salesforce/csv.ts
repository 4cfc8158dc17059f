/**
 * CSV as Bulk API 2.0 reads and writes it (RFC 4180: double-quoted fields, `""` for a quote,
 * quoted fields may span lines), with the job's column delimiter and line ending.
 */

/** Bulk API 2.0 `columnDelimiter` names and the characters they stand for. */
export const COLUMN_DELIMITERS = {
  BACKQUOTE: '`',
  CARET: '^',
  COMMA: ',',
  PIPE: '|',
  SEMICOLON: ';',
  TAB: '\t',
} as const;

export type ColumnDelimiter = keyof typeof COLUMN_DELIMITERS;

/** Bulk API 2.0 `lineEnding`: what ends a row of the job's data (LF unless the job says CRLF). */
export type LineEnding = 'LF' | 'CRLF';

export class CsvError extends Error {}

/**
 * Rows of cells; the first row is the header. A trailing line ending does not add an empty row. A row
 * ended otherwise than `lineEnding` says fails the data, as Salesforce fails the job (line breaks
 * inside a quoted field are the field's own).
 */
export function parseCsv(text: string, delimiter = ',', lineEnding: LineEnding = 'LF'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  const endCell = (): void => {
    row.push(cell);
    cell = '';
  };
  const endRow = (): void => {
    endCell();
    rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const ch = text.charAt(i);
    if (quoted) {
      if (ch === '"') {
        if (text.charAt(i + 1) === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cell += ch;
      i += 1;
      continue;
    }
    if (ch === '"' && cell === '') quoted = true;
    else if (ch === delimiter) endCell();
    else if (ch === '\r' && text.charAt(i + 1) === '\n') {
      if (lineEnding !== 'CRLF') throw wrongLineEnding(lineEnding);
      endRow();
      i += 1;
    } else if (ch === '\n') {
      if (lineEnding !== 'LF') throw wrongLineEnding(lineEnding);
      endRow();
    } else cell += ch;
    i += 1;
  }
  if (quoted) throw new CsvError('unterminated quoted field');
  if (cell !== '' || row.length > 0) endRow();
  return rows;
}

function wrongLineEnding(lineEnding: LineEnding): CsvError {
  return new CsvError(`LineEnding is invalid on user data. Current LineEnding setting is ${lineEnding}`);
}

/** One CSV line, every field quoted (as Salesforce writes its result files). */
export function csvLine(cells: readonly string[], delimiter = ','): string {
  return cells.map((cell) => `"${cell.replace(/"/g, '""')}"`).join(delimiter);
}
