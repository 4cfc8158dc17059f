import { BackflowError } from '../errors';

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
 * the query string (`?password=…`, `sslpassword`), which libpq and pg both read. Read as text, not as
 * a URL: a password with an unencoded `/`, `@`, `?` or `#` (as `openssl rand -base64` makes) does not
 * parse, or parses as a host and path with no password at all, and was shown as written. The user
 * part ends at the last `@` before the path that is not inside a query parameter's value.
 */
export function redactStateUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  let masked = url;
  if (scheme) {
    const rest = url.slice(scheme[0].length);
    for (let at = rest.lastIndexOf('@'); at !== -1; at = rest.lastIndexOf('@', at - 1)) {
      // Followed by host(s) — a name, `[v6]`, `h1:5432,h2:5432`, a %2F socket path — then the path.
      if (!/^[^/?#@]*(?=[/?#]|$)/.test(rest.slice(at + 1))) continue;
      // Inside `?name=value`: a query parameter's `@`, not the end of the user part.
      const query = rest.lastIndexOf('?', at);
      if (query !== -1 && rest.slice(query, at).includes('=')) continue;
      const userinfo = rest.slice(0, at);
      const colon = userinfo.indexOf(':');
      const shown = colon !== -1 ? `${userinfo.slice(0, colon)}:***` : /[/?#]/.test(userinfo) ? '***' : userinfo;
      masked = `${scheme[0]}${shown}${rest.slice(at)}`;
      break;
    }
  }
  return masked.replace(/([?&][^=&#]*password=)[^&#]*/gi, '$1***');
}

/** How long opening a PostgreSQL connection may take when the URL does not say (`connect_timeout`). */
export const DEFAULT_PG_CONNECT_TIMEOUT_MS = 10_000;

/**
 * libpq's `connect_timeout` from a PostgreSQL URL (whole seconds; 0 waits forever), in milliseconds.
 * pg hands that parameter only to its native binding, so its clients are given it here. `what` names
 * the URL in the error (the state store's, a connection's).
 */
export function pgConnectTimeoutMs(url: string, what = 'state store URL'): number {
  const match = /[?&]connect_timeout=([^&#]*)/.exec(url);
  if (!match) return DEFAULT_PG_CONNECT_TIMEOUT_MS;
  const raw = decodeURIComponent(match[1] ?? '');
  if (!/^\d+$/.test(raw)) {
    throw new BackflowError('CONFIG_INVALID', `${what} ${redactStateUrl(url)}: connect_timeout must be whole seconds (0 waits forever), got "${raw}"`);
  }
  return Number(raw) * 1000;
}
