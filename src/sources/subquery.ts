/**
 * The model as a subquery. Its own lines end before the closing parenthesis (a trailing `-- comment`
 * would swallow it), and a closing `;` goes, with the line comments after it: PostgreSQL and DuckDB
 * run such a model, and refused it only wrapped. Nothing else is touched. Trimmed piece by piece from
 * the end, in linear time: a regular expression over such endings backtracked exponentially on a
 * line of dashes.
 */
export function asSubquery(sql: string): string {
  let body = sql.trimEnd();
  for (;;) {
    if (body.endsWith(';')) {
      body = body.slice(0, -1).trimEnd();
      continue;
    }
    const lineStart = body.lastIndexOf('\n') + 1;
    const line = body.slice(lineStart);
    // `…; -- done`: the comment after the closing semicolon, on its line.
    const after = /;\s*--/.exec(line);
    if (after) {
      body = body.slice(0, lineStart + after.index + 1);
      continue;
    }
    // `…;` then lines that are only comments.
    let before = body;
    while (/^\s*--/.test(before.slice(before.lastIndexOf('\n') + 1)) && before.includes('\n')) before = before.slice(0, before.lastIndexOf('\n')).trimEnd();
    if (before !== body && before.endsWith(';')) {
      body = before;
      continue;
    }
    return `(\n${body}\n)`;
  }
}
