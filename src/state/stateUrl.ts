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

/**
 * The URL with any password masked, for logs and errors: after the user (an empty user too), and in
 * the query string (`?password=…`, `sslpassword`), which libpq and pg both read.
 */
export function redactStateUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@').replace(/(password=)[^&#]*/gi, '$1***');
  }
  if (parsed.password !== '') parsed.password = '***';
  for (const key of [...parsed.searchParams.keys()]) if (/password/i.test(key)) parsed.searchParams.set(key, '***');
  return parsed.toString();
}

/** How long opening a PostgreSQL connection may take when the URL does not say (`connect_timeout`). */
export const DEFAULT_PG_CONNECT_TIMEOUT_MS = 10_000;

/**
 * libpq's `connect_timeout` from a PostgreSQL URL (whole seconds; 0 waits forever), in milliseconds.
 * pg hands that parameter only to its native binding, so the pool is given it here.
 */
export function pgConnectTimeoutMs(url: string): number {
  const match = /[?&]connect_timeout=([^&#]*)/.exec(url);
  if (!match) return DEFAULT_PG_CONNECT_TIMEOUT_MS;
  const raw = decodeURIComponent(match[1] ?? '');
  if (!/^\d+$/.test(raw)) {
    throw new Error(`state store URL ${redactStateUrl(url)}: connect_timeout must be whole seconds (0 waits forever), got "${raw}"`);
  }
  return Number(raw) * 1000;
}
