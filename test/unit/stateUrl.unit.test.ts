import { DEFAULT_PG_CONNECT_TIMEOUT_MS, parseStateUrl, pgConnectTimeoutMs, redactStateUrl } from '../../src/state/stateUrl';

describe('state store URLs', () => {
  it('tells SQLite files from PostgreSQL databases, and refuses anything else without its password', () => {
    expect(parseStateUrl('sqlite:/var/lib/backflow/state.db')).toEqual({ kind: 'sqlite', file: '/var/lib/backflow/state.db' });
    expect(parseStateUrl('postgresql://u:p@db/state')).toEqual({ kind: 'postgres', url: 'postgresql://u:p@db/state' });
    expect(() => parseStateUrl('mysql://u:secret@db/state')).toThrow('unsupported state store URL "mysql://u:***@db/state"');
    expect(redactStateUrl('postgres://backflow:hunter2@db:5432/state')).toBe('postgres://backflow:***@db:5432/state');
    // An empty user, and a password in the query string (libpq and pg read both): masked too.
    expect(redactStateUrl('postgres://:hunter2@db/state')).toBe('postgres://:***@db/state');
    expect(redactStateUrl('postgres://backflow@db/state?sslmode=require&password=hunter2&sslpassword=k3y')).toBe(
      'postgres://backflow@db/state?sslmode=require&password=***&sslpassword=***',
    );
    expect(redactStateUrl('sqlite:/var/lib/backflow/state.db')).toBe('sqlite:/var/lib/backflow/state.db');
    // Unencoded `/` and `@` in a password (openssl rand -base64): not a URL, or one with no password.
    expect(redactStateUrl('postgres://bf:SECRET-CANARY/123@127.0.0.1:5999/db')).toBe('postgres://bf:***@127.0.0.1:5999/db');
    expect(redactStateUrl('postgres://bf:123/SECRET@host/db')).toBe('postgres://bf:***@host/db');
    expect(redactStateUrl('postgres://bf:p@ss/w@host/db?password=x')).toBe('postgres://bf:***@host/db?password=***');
    expect(redactStateUrl('postgres://backflow:pa?ss@db.example.com:5432/state')).toBe('postgres://backflow:***@db.example.com:5432/state');
    expect(redactStateUrl('postgres://backflow:pa#ss@db.example.com/state')).toBe('postgres://backflow:***@db.example.com/state');
    // An `@` in a query parameter is not the end of the user part.
    expect(redactStateUrl('postgres://backflow:pw@[::1]:5432/state?options=a@b')).toBe('postgres://backflow:***@[::1]:5432/state?options=a@b');
    expect(redactStateUrl('postgres://db/state?application_name=a@b')).toBe('postgres://db/state?application_name=a@b');
    // Hosts that are not plain names: a Docker service, several hosts, a socket path, a non-ASCII name.
    for (const host of ['state_db:5432', 'db1:5432,db2:5432', '%2Fvar%2Frun%2Fpostgresql', 'bücher.example']) {
      expect(redactStateUrl(`postgres://u:s3cret@${host}/db`)).toBe(`postgres://u:***@${host}/db`);
    }
    expect(redactStateUrl('postgres://backflow:pw@[::1]:5432/state')).toBe('postgres://backflow:***@[::1]:5432/state');
  });

  it("takes libpq's connect_timeout (seconds) as the PostgreSQL connect deadline, 10 s without it", () => {
    expect(pgConnectTimeoutMs('postgres://u:p@db/state')).toBe(DEFAULT_PG_CONNECT_TIMEOUT_MS);
    expect(pgConnectTimeoutMs('postgres://u:p@db/state?connect_timeout=3')).toBe(3_000);
    expect(pgConnectTimeoutMs('postgres://u:p@db/state?sslmode=require&connect_timeout=30')).toBe(30_000);
    expect(pgConnectTimeoutMs('postgres://u:p@db/state?connect_timeout=0')).toBe(0);
  });

  it('refuses a connect_timeout that is not whole seconds, naming the URL without its password', () => {
    expect(() => pgConnectTimeoutMs('postgres://u:hunter2@db/state?connect_timeout=5s')).toThrow(
      'state store URL postgres://u:***@db/state?connect_timeout=5s: connect_timeout must be whole seconds (0 waits forever), got "5s"',
    );
  });
});
