/** Where the state store lives: an embedded SQLite file, or a PostgreSQL database a fleet shares. */
export type StateTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** The forms BACKFLOW_STATE_URL accepts (src/env.ts validates with it too). */
export const STATE_URL_PATTERN = /^(sqlite:.+|postgres(ql)?:\/\/.+)$/;

export function parseStateUrl(url: string): StateTarget {
  if (/^postgres(ql)?:\/\/./.test(url)) return { kind: 'postgres', url };
  const sqlite = /^sqlite:(.+)$/.exec(url);
  if (sqlite?.[1]) return { kind: 'sqlite', file: sqlite[1] };
  throw new Error(`unsupported state store URL "${redactStateUrl(url)}" (expected sqlite:<path> or postgres://…)`);
}

/** The URL with any password masked, for logs and errors. */
export function redactStateUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
